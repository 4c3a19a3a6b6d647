// Each side's events are recorded and printed at the end: within one socket
// the order is deterministic (data, end, close); across the two sockets it
// depends on the loop iteration each one's events land in.
const net = require('net');
const serverLog = [];
const clientLog = [];
const server = net.createServer((s) => {
  s.on('data', (d) => { serverLog.push('data ' + d); s.write('echo ' + d); });
  s.on('end', () => serverLog.push('end'));
  s.on('close', () => serverLog.push('close'));
});
server.listen(0, '127.0.0.1', () => {
  const c = net.connect(server.address().port, '127.0.0.1');
  c.on('connect', () => { clientLog.push('connect'); c.write('hello'); });
  c.on('data', (d) => { clientLog.push('data ' + d); c.end(); });
  c.on('end', () => clientLog.push('end'));
  c.on('close', () => {
    clientLog.push('close');
    server.close(() => {
      console.log('server socket: ' + serverLog.join(', '));
      console.log('client socket: ' + clientLog.join(', '));
      console.log('server closed');
    });
  });
});
