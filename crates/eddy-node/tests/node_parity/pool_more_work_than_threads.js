// With 4 threads and 12 jobs the completion order is racy: compare the set.
const fs = require('fs');
const done = [];
for (let i = 0; i < 12; i++) fs.readFile('fixture.txt', () => {
  done.push(i);
  if (done.length === 12) console.log(done.sort((a, b) => a - b).join(','));
});
