const fs = require('fs');
const path = require('path');
const d = path.join(process.env.PARITY_TMP, 'dir');
fs.mkdir(d, (err) => {
  console.log('mkdir ' + err);
  fs.mkdir(d, (err) => {
    console.log(err.code);
    fs.writeFile(path.join(d, 'b'), 'x', () => {
      fs.rename(path.join(d, 'b'), path.join(d, 'a'), (err) => {
        console.log('rename ' + err);
        fs.readdir(d, (err, names) => console.log(names.sort().join(',')));
      });
    });
  });
});
