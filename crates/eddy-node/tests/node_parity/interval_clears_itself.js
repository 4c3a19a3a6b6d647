let n = 0;
const t = setInterval(() => {
  n += 1;
  console.log('tick ' + n);
  if (n === 3) { clearInterval(t); console.log('cleared'); }
}, 2);
