setTimeout(() => console.log('unref ran'), 5000).unref();
setTimeout(() => console.log('ref ran'), 5);
