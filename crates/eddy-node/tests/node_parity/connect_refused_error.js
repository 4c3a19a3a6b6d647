const net = require('net');
const probe = net.createServer();
probe.listen(0, '127.0.0.1', () => {
  const port = probe.address().port;
  probe.close(() => {
    const c = net.connect(port, '127.0.0.1');
    c.on('error', (err) => console.log('error ' + err.code + ' ' + err.syscall));
    c.on('close', (hadError) => console.log('close hadError=' + hadError));
  });
});
