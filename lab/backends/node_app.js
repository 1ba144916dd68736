// Tiny Node HTTP app (no npm deps): node node_app.js PORT [HOST]
'use strict';
const http = require('http');

const port = Number(process.argv[2]);
const host = process.argv[3] || '127.0.0.1';

const server = http.createServer((req, res) => {
  console.log(`${new Date().toISOString()} ${req.method} ${req.url}`);
  res.writeHead(200, { 'Content-Type': 'text/plain' });
  res.end('hello from node\n');
});

server.listen(port, host, () => {
  const a = server.address();
  const shown = a.family === 'IPv6' ? `[${a.address}]` : a.address;
  console.log(`Server listening on http://${shown}:${a.port}`);
});
