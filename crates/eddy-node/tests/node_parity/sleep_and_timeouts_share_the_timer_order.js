const { setTimeout: sleep } = require('timers/promises');
setTimeout(() => console.log('timeout 10 first'), 10);
(async () => { await sleep(10); console.log('sleep 10'); })();
setTimeout(() => console.log('timeout 10 second'), 10);
