let n = 0;
const t = setTimeout(() => {
  console.log('fire', ++n);
  if (n < 3) t.refresh();
}, 5);
setTimeout(() => console.log('1 ms timer'), 1);
