(async () => {
  console.log('async start');
  await null;
  console.log('after await 1');
  await null;
  console.log('after await 2');
})();
process.nextTick(() => console.log('tick'));
queueMicrotask(() => console.log('microtask'));
console.log('main end');
