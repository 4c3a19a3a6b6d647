
const net = require('net');
const echo = process.argv[2] === 'echo';
const RESPONSE = Buffer.from(
  'HTTP/1.1 200 OK\r\nContent-Length: 13\r\nContent-Type: text/plain\r\n\r\nHello, World!');
const server = net.createServer((sock) => {
  sock.setNoDelay(true);
  sock.on('error', () => {});
  let pending = null;
  sock.on('data', (chunk) => {
    if (echo) { sock.write(chunk); return; }
    pending = pending ? Buffer.concat([pending, chunk]) : chunk;
    let idx;
    while ((idx = pending.indexOf('\r\n\r\n')) >= 0) {
      sock.write(RESPONSE);
      pending = pending.subarray(idx + 4);
    }
    if (pending.length >= 2048) { sock.destroy(); return; }
    if (pending.length === 0) pending = null;
  });
});
server.listen(0, '127.0.0.1', () => {
  console.log('listening 127.0.0.1:' + server.address().port);
});

process.stdin.on('end', () => process.exit(0));
process.stdin.on('error', () => process.exit(0));
process.stdin.resume();
