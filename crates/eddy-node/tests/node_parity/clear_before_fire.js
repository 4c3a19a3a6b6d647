const t = setTimeout(() => console.log('cleared timeout ran'), 1);
clearTimeout(t);
const i = setImmediate(() => console.log('cleared immediate ran'));
clearImmediate(i);
setTimeout(() => console.log('kept'), 2);
