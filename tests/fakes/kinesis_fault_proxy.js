// Fault-injecting HTTP proxy between a Kinesis client and kinesalite, for
// tests of the Kinesis sink's retries (kinesalite itself never fails).
//
// Usage: node kinesis_fault_proxy.js <upstream port> '<plan JSON>'
// Listens on 127.0.0.1 (ephemeral port) and prints "PORT <n>" once ready.
// The plan is a list of steps applied to successive PutRecords requests;
// once it is used up, requests pass through. Other actions always pass.
// Steps:
//   "pass"          forward unchanged
//   "fail:<Code>"   records at odd indexes fail with <Code>; only the others
//                   are forwarded, so kinesalite sees each record once
//   "throttle"      400 ProvisionedThroughputExceededException, not forwarded
//   "500" / "503"   that status, not forwarded
//   "reset"         read the request, then reset the connection, not forwarded
//   "drop"          forward, then never answer (the client times out)
// On SIGTERM it exits. Each applied step is logged to stderr.
'use strict';
const http = require('http');

const upstreamPort = parseInt(process.argv[2], 10);
const plan = JSON.parse(process.argv[3] || '[]');
let step = 0;
const held = [];  // responses we never answer ("drop"), kept open

function forward(req, body, cb) {
  const headers = Object.assign({}, req.headers);
  headers['content-length'] = Buffer.byteLength(body);
  const up = http.request({host: '127.0.0.1', port: upstreamPort, method: req.method,
                           path: req.url, headers}, (res) => {
    const chunks = [];
    res.on('data', (c) => chunks.push(c));
    res.on('end', () => cb(null, res.statusCode, res.headers, Buffer.concat(chunks)));
  });
  up.on('error', (e) => cb(e));
  up.end(body);
}

function reply(res, status, obj) {
  const body = typeof obj === 'string' ? obj : JSON.stringify(obj);
  res.writeHead(status, {'Content-Type': 'application/x-amz-json-1.1',
                         'Content-Length': Buffer.byteLength(body)});
  res.end(body);
}

function passThrough(req, res, body) {
  forward(req, body, (err, status, headers, data) => {
    if (err) { res.destroy(); return; }
    const h = Object.assign({}, headers);
    delete h['transfer-encoding'];
    h['content-length'] = data.length;
    res.writeHead(status, h);
    res.end(data);
  });
}

function failSome(req, res, body, code) {
  const request = JSON.parse(body);
  const keep = [];
  request.Records.forEach((r, i) => { if (i % 2 === 0) keep.push(r); });
  const merge = (upRecords) => {
    let k = 0;
    const records = request.Records.map((r, i) =>
      i % 2 === 0 ? upRecords[k++]
                  : {ErrorCode: code, ErrorMessage: 'injected by kinesis_fault_proxy'});
    const failed = records.filter((r) => r.ErrorCode).length;
    reply(res, 200, {FailedRecordCount: failed, Records: records});
  };
  if (keep.length === 0) { merge([]); return; }
  const sub = JSON.stringify({StreamName: request.StreamName, Records: keep});
  forward(req, sub, (err, status, headers, data) => {
    if (err) { res.destroy(); return; }
    if (status !== 200) { res.writeHead(status); res.end(data); return; }
    merge(JSON.parse(data.toString()).Records);
  });
}

const server = http.createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    const body = Buffer.concat(chunks).toString();
    const target = req.headers['x-amz-target'] || '';
    if (!target.endsWith('.PutRecords') || step >= plan.length) {
      passThrough(req, res, body);
      return;
    }
    const action = plan[step++];
    process.stderr.write(`kinesis_fault_proxy: step ${step}: ${action}\n`);
    if (action === 'pass') {
      passThrough(req, res, body);
    } else if (action.startsWith('fail:')) {
      failSome(req, res, body, action.slice(5));
    } else if (action === 'throttle') {
      reply(res, 400, {__type: 'ProvisionedThroughputExceededException',
                       message: 'Rate exceeded for stream (injected)'});
    } else if (action === '500' || action === '503') {
      reply(res, parseInt(action, 10), action === '500'
          ? {__type: 'InternalFailure', message: 'injected'}
          : 'Service Unavailable');
    } else if (action === 'reset') {
      req.socket.resetAndDestroy ? req.socket.resetAndDestroy() : req.socket.destroy();
    } else if (action === 'drop') {
      forward(req, body, () => { held.push(res); });
    } else {
      reply(res, 500, {__type: 'ProxyPlanError', message: 'unknown step ' + action});
    }
  });
});
server.keepAliveTimeout = 60000;
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`PORT ${server.address().port}\n`);
});
process.on('SIGTERM', () => process.exit(0));
