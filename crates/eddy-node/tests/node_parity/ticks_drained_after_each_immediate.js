setImmediate(() => {
  console.log('immediate 1');
  queueMicrotask(() => console.log('microtask from immediate 1'));
  process.nextTick(() => console.log('tick from immediate 1'));
});
setImmediate(() => console.log('immediate 2'));
