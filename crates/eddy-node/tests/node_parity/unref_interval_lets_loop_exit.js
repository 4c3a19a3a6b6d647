setInterval(() => console.log('interval ran'), 5000).unref();
process.nextTick(() => console.log('tick'));
console.log('main');
