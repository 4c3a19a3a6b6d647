setImmediate(() => {
  console.log('A');
  setImmediate(() => console.log('C (next iteration)'));
});
setImmediate(() => console.log('B'));
