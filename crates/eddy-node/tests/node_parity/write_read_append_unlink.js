const fs = require('fs');
const path = require('path');
const p = path.join(process.env.PARITY_TMP, 'w.txt');
fs.writeFile(p, 'one\n', (err) => {
  console.log('write ' + err);
  fs.appendFile(p, 'two\n', (err) => {
    console.log('append ' + err);
    fs.readFile(p, 'utf8', (err, text) => {
      process.stdout.write(text);
      fs.stat(p, (err, st) => {
        console.log('size ' + st.size + ' file ' + st.isFile());
        fs.unlink(p, (err) => console.log('unlink ' + err));
      });
    });
  });
});
