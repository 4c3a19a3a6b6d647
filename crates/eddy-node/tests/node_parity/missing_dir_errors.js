const fs = require('fs');
fs.readdir('no-such-dir', (err) => {
  console.log(err.message);
  fs.stat('no-such-dir/x', (err) => {
    console.log(err.message);
    fs.unlink('no-such-file', (err) => console.log(err.message));
  });
});
