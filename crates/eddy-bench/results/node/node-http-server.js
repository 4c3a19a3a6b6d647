
const http = require('http');
const server = http.createServer((req, res) => {
  res.writeHead(200, { 'Content-Length': 13, 'Content-Type': 'text/plain' });
  res.end('Hello, World!');
});
server.listen(0, '127.0.0.1', () => {
  console.log('listening 127.0.0.1:' + server.address().port);
});

process.stdin.on('end', () => process.exit(0));
process.stdin.on('error', () => process.exit(0));
process.stdin.resume();
