const t = setTimeout(() => console.log('unref timer fired'), 40);
t.unref();
setTimeout(() => {
  t.refresh();
  console.log('hasRef after refresh', t.hasRef());
}, 10);
setTimeout(() => console.log('last ref timer'), 20);
