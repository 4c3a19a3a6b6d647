console.log('before');
setTimeout(() => { throw new Error('boom'); }, 1);
setTimeout(() => console.log('never printed'), 50);
