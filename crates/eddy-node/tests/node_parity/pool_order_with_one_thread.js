// UV_THREADPOOL_SIZE=1: pool work completes in submission order.
const fs = require('fs');
for (let i = 0; i < 8; i++) fs.readFile('fixture.txt', () => console.log('read ' + i));
