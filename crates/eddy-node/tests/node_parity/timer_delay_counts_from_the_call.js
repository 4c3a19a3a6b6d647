// Node's setTimeout reads a fresh clock: a timer set after 50 ms of busy
// work waits its whole delay from then, not from the loop's cached time.
setTimeout(() => console.log('A: 60 ms, set first'), 60);
const t = Date.now();
while (Date.now() - t < 50) {}
setTimeout(() => console.log('B: 20 ms, set 50 ms later'), 20);
