let n = 0;
const t = setTimeout(() => console.log('fire', ++n), 30);
t.unref();
setTimeout(() => {
  t.refresh();
  console.log('refreshed, hasRef', t.hasRef());
}, 35);
setTimeout(() => console.log('last ref timer'), 40);
