const t = setTimeout(() => console.log('fired'), 5);
t.unref();
t.ref();
console.log('hasRef ' + t.hasRef());
