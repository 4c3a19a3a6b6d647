const fs = require('fs');
fs.readFile('does-not-exist.txt', (err) => {
  console.log(err.code);
  console.log(err.syscall);
  console.log(err.message);
});
