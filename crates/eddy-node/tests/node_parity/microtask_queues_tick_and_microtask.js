queueMicrotask(() => {
  console.log('microtask 1');
  process.nextTick(() => console.log('tick from microtask'));
  queueMicrotask(() => console.log('microtask 2'));
});
