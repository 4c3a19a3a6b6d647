setTimeout(() => console.log('a: 1ms'), 1);
setTimeout(() => console.log('b: 0ms'), 0);
setTimeout(() => console.log('c: 1ms'), 1);
