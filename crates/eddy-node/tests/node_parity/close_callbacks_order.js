const net = require('net');
const server = net.createServer(() => {});
server.listen(0, '127.0.0.1', () => {
  const port = server.address().port;
  const c1 = net.connect(port, '127.0.0.1');
  const c2 = net.connect(port, '127.0.0.1');
  let connected = 0;
  let closed = 0;
  const onConnect = () => {
    if (++connected < 2) return;
    c2.destroy();
    c1.destroy();
    setImmediate(() => console.log('immediate'));
    process.nextTick(() => console.log('tick'));
  };
  const onClose = (name) => () => {
    console.log(name + ' close');
    if (++closed === 2) server.close(() => console.log('server closed'));
  };
  c1.on('connect', onConnect);
  c2.on('connect', onConnect);
  c1.on('close', onClose('c1'));
  c2.on('close', onClose('c2'));
});
