setTimeout(() => {
  console.log('timer 1');
  process.nextTick(() => console.log('tick from timer 1'));
  queueMicrotask(() => console.log('microtask from timer 1'));
}, 5);
setTimeout(() => console.log('timer 2'), 5);
