const net = require('net');
let received = 0;
const server = net.createServer((s) => {
  s.on('data', (d) => { received += d.length; });
  s.on('end', () => { console.log('server got ' + received + ' bytes'); s.end(); });
});
server.listen(0, '127.0.0.1', () => {
  const c = net.connect(server.address().port, '127.0.0.1');
  c.on('connect', () => {
    console.log('small write returned ' + c.write('x'));
    console.log('big write returned ' + c.write(Buffer.alloc(4 * 1024 * 1024, 'x')));
    c.on('drain', () => { console.log('drain'); c.end(); });
  });
  c.on('close', () => {
    console.log('client close');
    server.close(() => console.log('server closed'));
  });
});
