// Small HTTP(S) server for HttpClient tests. Listens on 127.0.0.1 (ephemeral
// port), prints "PORT <n>". With two arguments (cert.pem key.pem) it speaks
// HTTPS. Paths:
//   /echo        200, body = JSON {method, headers, body}
//   /hold/<n>    holds each request until <n> are waiting, then answers all
//   /hang        reads the request and never answers
//   /status/<c>  answers status <c>
//   /connections 200, body = number of TCP connections accepted so far
'use strict';
const fs = require('fs');
const http = require('http');
const https = require('https');

let connections = 0;
const holding = [];
const handler = (req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    const body = Buffer.concat(chunks).toString();
    const parts = req.url.split('/');
    if (parts[1] === 'echo') {
      res.end(JSON.stringify({method: req.method, headers: req.headers, body}));
    } else if (parts[1] === 'hold') {
      holding.push(res);
      if (holding.length >= parseInt(parts[2], 10)) {
        holding.splice(0).forEach((r, i) => r.end(`released ${i}`));
      }
    } else if (parts[1] === 'hang') {
      // never answer
    } else if (parts[1] === 'status') {
      res.writeHead(parseInt(parts[2], 10));
      res.end('status');
    } else if (parts[1] === 'connections') {
      res.end(String(connections));
    } else {
      res.writeHead(404);
      res.end();
    }
  });
};
const server = process.argv.length > 3
    ? https.createServer({cert: fs.readFileSync(process.argv[2]),
                          key: fs.readFileSync(process.argv[3])}, handler)
    : http.createServer(handler);
server.keepAliveTimeout = 60000;
server.on('connection', () => { connections++; });
server.on('secureConnection', () => {});
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`PORT ${server.address().port}\n`);
});
process.on('SIGTERM', () => process.exit(0));
