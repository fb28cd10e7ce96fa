#!/usr/bin/env node
// End-to-end test of the streamgate binary with Node's @grpc/grpc-js client.
//
// Usage: node node_client_test.js STREAMGATE_BINARY SOURCE_DIR
//
// Starts the real gateway on a free 127.0.0.1 port with file sinks, sends
// device and home events (nested Struct values with Unicode, escapes and
// floats), bulk records and a MessagePack payload, bad inputs, and a Publish
// stream with ids; stops it with SIGINT (exit 0 expected) and checks every
// sink line byte for byte, using JSON.stringify as the oracle for the event
// JSON. Exit 0 = pass.
'use strict';

const fs = require('fs');
const os = require('os');
const path = require('path');
const {Gateway, freePort, loadProtos, grpc} = require('./lib/gateway');

const OK = 0;
const INVALID_ARGUMENT = 3;
const T0 = Date.UTC(2024, 4, 1, 12, 0, 0) / 1000;  // 2024-05-01T12:00:00Z
const UUID4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const LINE = /^\{"module":"([A-Za-z0-9_-]{1,64})","partitionKey":"([^"\\]{1,256})","data":"([A-Za-z0-9+/]*={0,2})"\}$/;
const TS = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{3}|\.\d{6}|\.\d{9})?Z$/;
const TS_MARK = '\u0000TS\u0000';

const failures = [];
let passed = 0;
function check(cond, what) {
  if (cond) {
    passed++;
  } else {
    failures.push(what);
    console.log('FAIL: ' + what);
  }
  return cond;
}
const eq = (a, e, what) =>
  check(a === e, `${what}: expected ${JSON.stringify(e)}, got ${JSON.stringify(a)}`);

// ------------------------------------------------------------ oracle ----

const utf8Compare = (a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b));

// JSON.stringify with object keys in UTF-8 byte order. Objects are
// serialised key by key because JS itself would put integer-like keys
// ("2", "10") first in numeric order whatever their insertion order.
function stringifySorted(v) {
  if (Array.isArray(v)) return '[' + v.map(stringifySorted).join(',') + ']';
  if (v !== null && typeof v === 'object') {
    return '{' + Object.keys(v).sort(utf8Compare)
        .map((k) => JSON.stringify(k) + ':' + stringifySorted(v[k])).join(',') + '}';
  }
  return JSON.stringify(v);
}

function formatTs(seconds, nanos) {
  const base = new Date(seconds * 1000).toISOString().slice(0, 19);
  if (nanos === 0) return base + 'Z';
  const pad = (n, w) => String(n).padStart(w, '0');
  if (nanos % 1e6 === 0) return `${base}.${pad(nanos / 1e6, 3)}Z`;
  if (nanos % 1e3 === 0) return `${base}.${pad(nanos / 1e3, 6)}Z`;
  return `${base}.${pad(nanos, 9)}Z`;
}

// The MODE Event JSON bytes; key order is JSON.stringify's insertion order.
function expectedEvent(e) {
  let json = '{"eventType":' + JSON.stringify(e.type) +
      ',"eventData":' + stringifySorted(e.data || {}) +
      ',"timestamp":' + (e.ts ? JSON.stringify(formatTs(...e.ts)) : '"' + TS_MARK + '"');
  const tail = {homeId: e.expHome};
  if (e.device !== undefined) tail.originDeviceId = e.device;
  if (e.expCls) tail.originDeviceClass = e.expCls;
  if (e.ip) tail.originDeviceIp = e.ip;
  json += ',' + JSON.stringify(tail).slice(1);
  return Buffer.from(json, 'utf8');
}

// Value's fields are camelCase even with keepCase: proto-loader takes
// google/protobuf/struct.proto from protobufjs's built-in copy.
function toValue(v) {
  if (v === null) return {nullValue: 0};
  if (typeof v === 'number') return {numberValue: v};
  if (typeof v === 'string') return {stringValue: v};
  if (typeof v === 'boolean') return {boolValue: v};
  if (Array.isArray(v)) return {listValue: {values: v.map(toValue)}};
  return {structValue: toStruct(v)};
}
function toStruct(obj) {
  const fields = {};
  for (const k of Object.keys(obj)) fields[k] = toValue(obj[k]);
  return {fields};
}
function toEvent(e) {
  const ev = {event_type: e.type, home_id: e.home || 0,
              origin_device_class: e.cls || '', origin_device_ip: e.ip || ''};
  if (e.data !== undefined) ev.event_data = toStruct(e.data);
  if (e.ts) ev.timestamp = {seconds: e.ts[0], nanos: e.ts[1]};
  if (e.device !== undefined) ev.origin_device_id = e.device;
  return ev;
}

// Tiny MessagePack writer for the bulk payload (spec 1.2).
const mpStr = (s) => {
  const b = Buffer.from(s, 'utf8');
  return b.length < 32 ? Buffer.concat([Buffer.from([0xa0 | b.length]), b])
                       : Buffer.concat([Buffer.from([0xd9, b.length]), b]);
};
const mpBin16 = (b) => {
  const h = Buffer.alloc(3);
  h[0] = 0xc5;
  h.writeUInt16BE(b.length, 1);
  return Buffer.concat([h, b]);
};
const mpBin8 = (b) => Buffer.concat([Buffer.from([0xc4, b.length]), b]);

// ------------------------------------------------------------- calls ----

const CONFIG = (port, dir) => `\
grpc:
  listen: "127.0.0.1:${port}"
devices:
  - {id: 42, home_id: 7, class: thermostat}
modules:
  - id: all
    subscribe_events: ["*"]
    bulk_data_label: telemetry
    sink: {type: file, path: "${dir}/out/all.jsonl"}
  - id: readings
    subscribe_events: ["reading", "other"]
    use_uuid: true
    sink: {type: file, path: "${dir}/out/readings.jsonl"}
  - id: logs
    bulk_data_label: logs
    sink: {type: file, path: "${dir}/out/logs.jsonl"}
`;
const ROUTE_EVENT = (t) => (t === 'reading' || t === 'other') ? ['all', 'readings'] : ['all'];
const ROUTE_BULK = (l) => ({telemetry: ['all'], logs: ['logs']})[l] || [];
const UUID_MODULES = new Set(['readings']);

const expected = {all: [], readings: [], logs: []};
function expectEvent(e, window) {
  const key = e.device !== undefined ? String(e.device) : String(e.expHome);
  for (const m of ROUTE_EVENT(e.type)) {
    expected[m].push({key: UUID_MODULES.has(m) ? 'UUID' : key, data: expectedEvent(e), window});
  }
}
function expectBulk(label, device, records) {
  for (const m of ROUTE_BULK(label)) {
    for (const r of records) {
      expected[m].push({key: UUID_MODULES.has(m) ? 'UUID' : String(device), data: r});
    }
  }
}

const unary = (client, method, req) => new Promise((resolve) => {
  client[method](req, {deadline: Date.now() + 10000},
                 (err, resp) => resolve(err ? {code: err.code, message: err.details}
                                            : {code: OK, resp}));
});

const NESTED = {
  'z': 1.5, 'a': 0.1, 'A': -0, '10': 'ten', '9': 'nine', '2': 'two',
  'é': 'é', '\uff21': 'fullwidth', '\u{1F600}': '😀', '': 'empty key',
  'floats': [21.0, 0.5, 1e21, 1e-7, 123456789012, 1e-6, 5e-324,
             1.7976931348623157e308, 0.1 + 0.2, -2.5e-8, 1e20, 9007199254740993],
  'text': 'q" b\\ s/ \n\t\r\b\f \u0001\u001f\u007f 中文 \u2028 end',
  'deep': {'list': [null, true, false, [], {}, [{'y': 'x', 'x': [1, 'a']}]]},
};

async function runCalls(client, checkLater) {
  const events = [
    {type: 'reading', device: 42, home: 7, ts: [T0, 123000000], data: NESTED,
     ip: '10.1.2.3', expHome: 7, expCls: 'thermostat'},
    {type: 'reading', device: 42, ts: [T0 + 1, 456789], data: {'k': 'registry'},
     cls: 'override', expHome: 7, expCls: 'override'},
    {type: 'home.mode', home: 77, data: {'mode': 'away', 'n': 3}, expHome: 77},
    {type: 'other', device: 9000, home: 5, ts: [T0, 0], expHome: 5},
  ];
  for (const [i, e] of events.entries()) {
    const lo = Date.now();
    const r = await unary(client, 'PublishEvent', toEvent(e));
    if (eq(r.code, OK, `PublishEvent #${i} status (${r.message})`)) {
      eq(r.resp.records, 1, `PublishEvent #${i} records`);
      expectEvent(e, [lo, Date.now()]);
    }
  }

  const recs = [Buffer.from([0, 1, 2, 255]), Buffer.from('node record é'),
                Buffer.alloc(3000, 0xab)];
  let r = await unary(client, 'PublishBulkData', {device_id: 42, label: 'telemetry', records: recs});
  if (eq(r.code, OK, `PublishBulkData records (${r.message})`)) {
    eq(r.resp.records, 3, 'PublishBulkData records count');
    expectBulk('telemetry', 42, recs);
  }
  const mp = [Buffer.from('mp one'), Buffer.alloc(300, 7), Buffer.from('mp str ü')];
  const payload = Buffer.concat([mpStr('1.0'), mpBin8(mp[0]), mpBin16(mp[1]), mpStr('mp str ü')]);
  r = await unary(client, 'PublishBulkData', {device_id: 43, label: 'logs', msgpack_payload: payload});
  if (eq(r.code, OK, `PublishBulkData msgpack (${r.message})`)) {
    eq(r.resp.records, 3, 'PublishBulkData msgpack count');
    expectBulk('logs', 43, mp);
  }

  // Bad inputs.
  r = await unary(client, 'PublishEvent', toEvent({type: '', home: 7, data: {'bad': 1}}));
  eq(r.code, INVALID_ARGUMENT, 'empty event_type status');
  check(/event_type/.test(r.message || ''), `empty event_type message names the field: ${r.message}`);
  r = await unary(client, 'PublishEvent', toEvent({type: 'x', home: 7, data: {'v': NaN}}));
  eq(r.code, INVALID_ARGUMENT, 'NaN in event_data status');
  r = await unary(client, 'PublishBulkData', {device_id: 0, label: 'logs', records: [Buffer.from('r')]});
  eq(r.code, INVALID_ARGUMENT, 'device_id 0 status');
  check(/device_id/.test(r.message || ''), `device_id 0 message names the field: ${r.message}`);
  r = await unary(client, 'PublishBulkData', {device_id: 42, label: 'logs',
    msgpack_payload: Buffer.concat([mpStr('1.0'), mpBin8(Buffer.from('a')), Buffer.from([0x2a])])});
  eq(r.code, INVALID_ARGUMENT, 'msgpack int element status');
  check(/msgpack_payload/.test(r.message || ''), `msgpack message names the field: ${r.message}`);

  // The stream, with ids.
  const batch = Array.from({length: 10}, (_, i) => ({
    type: 'reading', device: 42, home: 7, ts: [T0 + i, i], data: {i, 'tag': 'node-batch'},
    expHome: 7, expCls: 'thermostat'}));
  const badBatch = [{type: 'x', home: 7}, {type: 'x', home: 0, device: 31337}];
  const streamEvent = {type: 'stream.home', home: 8, data: {'via': 'node stream'}, expHome: 8};
  const streamRecs = [Buffer.from('stream bulk')];
  const reqs = [
    {req: {id: '18446744073709551615', event: toEvent(streamEvent)}, code: OK, records: 1,
     ok: (w) => expectEvent(streamEvent, w)},
    {req: {id: '5', batch: {events: batch.map(toEvent)}}, code: OK, records: 10,
     ok: (w) => batch.forEach((e) => expectEvent(e, w))},
    {req: {id: '6', batch: {events: badBatch.map(toEvent)}}, code: INVALID_ARGUMENT,
     field: 'events[1]'},
    {req: {id: '7', bulk_data: {device_id: 42, label: 'telemetry', records: streamRecs}},
     code: OK, records: 1, ok: () => expectBulk('telemetry', 42, streamRecs)},
    {req: {id: '8', bulk_data: {device_id: 42, label: '', records: streamRecs}},
     code: INVALID_ARGUMENT, field: 'label'},
  ];
  const lo = Date.now();
  const responses = await new Promise((resolve) => {
    const got = [];
    const call = client.Publish({deadline: Date.now() + 20000});
    call.on('data', (d) => got.push(d));
    call.on('end', () => resolve(got));
    call.on('error', (err) => {
      check(false, `Publish stream error ${err.code} ${err.details}`);
      resolve(got);
    });
    for (const x of reqs) call.write(x.req);
    call.end();
  });
  const window = [lo, Date.now()];
  eq(responses.length, reqs.length, 'Publish: number of responses');
  const byId = new Map(responses.map((x) => [x.id, x]));
  for (const x of reqs) {
    const resp = byId.get(x.req.id);
    if (!check(resp !== undefined, `Publish id ${x.req.id}: no response`)) continue;
    eq(resp.code, x.code, `Publish id ${x.req.id} code (${resp.message})`);
    if (x.code === OK && resp.code === OK) {
      eq(resp.records, x.records, `Publish id ${x.req.id} records`);
      x.ok(window);
    }
    if (x.field) {
      check(resp.message.includes(x.field),
            `Publish id ${x.req.id}: message ${JSON.stringify(resp.message)} does not name ${x.field}`);
    }
  }
}

// ------------------------------------------------------- sink checks ----

function checkSink(file, module) {
  const label = `sink ${module}`;
  if (!check(fs.existsSync(file), `${label}: ${file} does not exist`)) return;
  const raw = fs.readFileSync(file);
  const text = raw.toString('latin1');  // base64 and JSON keys are ASCII
  check(raw.length === 0 || text.endsWith('\n'), `${label}: last line not terminated`);
  const rows = [];
  const uuids = new Set();
  for (const [i, line] of text.split('\n').slice(0, -1).entries()) {
    const m = LINE.exec(line);
    if (!check(m, `${label} line ${i + 1} has the wrong shape: ${line.slice(0, 200)}`)) continue;
    eq(m[1], module, `${label} line ${i + 1} module`);
    const data = Buffer.from(m[3], 'base64');
    eq(data.toString('base64'), m[3], `${label} line ${i + 1} canonical base64`);
    let key = m[2];
    if (UUID_MODULES.has(module)) {
      check(UUID4.test(key), `${label}: key ${key} is not a lower-case UUIDv4`);
      check(!uuids.has(key), `${label}: UUID ${key} repeated`);
      uuids.add(key);
      key = 'UUID';
    }
    rows.push({key, data, used: false});
  }
  for (const exp of expected[module]) {
    const [pre, post] = exp.data.toString('utf8').split(TS_MARK).map((s) => Buffer.from(s));
    const row = rows.find((r) => !r.used && r.key === exp.key &&
        (post === undefined ? r.data.equals(exp.data)
                            : r.data.length > pre.length + post.length &&
                              r.data.subarray(0, pre.length).equals(pre) &&
                              r.data.subarray(r.data.length - post.length).equals(post)));
    if (!check(row, `${label}: missing record key=${exp.key} data=${exp.data.toString().slice(0, 300)}`)) continue;
    row.used = true;
    if (post !== undefined) {
      const ts = row.data.subarray(pre.length, row.data.length - post.length).toString();
      if (check(TS.test(ts), `${label}: stamped timestamp ${ts} malformed`)) {
        const frac = ts.includes('.') ? ts.slice(20, -1) : '';
        check(!frac.endsWith('000'), `${label}: timestamp ${ts} has superfluous digits`);
        const ms = Date.parse(ts);
        check(ms >= exp.window[0] - 1 && ms <= exp.window[1] + 1,
              `${label}: stamped timestamp ${ts} outside the call window`);
      }
    }
  }
  for (const r of rows.filter((x) => !x.used)) {
    check(false, `${label}: unexpected record key=${r.key} data=${r.data.toString().slice(0, 300)}`);
  }
}

async function main() {
  if (process.argv.length !== 4) {
    console.log('usage: node node_client_test.js STREAMGATE_BINARY SOURCE_DIR');
    return 2;
  }
  const binary = path.resolve(process.argv[2]);
  const src = path.resolve(process.argv[3]);
  try {
    fs.accessSync(binary, fs.constants.X_OK);
  } catch (e) {
    console.log(`FAIL: gateway binary ${binary} not found or not executable`);
    return 1;
  }
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'streamgate-e2e-node-'));
  const protos = loadProtos(src);
  const port = await freePort();
  const gw = new Gateway(binary, work, CONFIG(port, work), 'node');
  const target = `127.0.0.1:${port}`;
  const client = new protos.streamgate.v1.Gateway(target, grpc.credentials.createInsecure());
  const health = new protos.grpc.health.v1.Health(target, grpc.credentials.createInsecure());
  try {
    gw.start();
    await gw.waitServing(health);
    const h = await unary(health, 'Check', {service: ''});
    check(h.code === OK && h.resp.status === 1, `health Check("") SERVING: ${JSON.stringify(h)}`);
    await runCalls(client);
    const res = await gw.stop('SIGINT');
    eq(res.code, 0, 'exit code after SIGINT');
  } catch (e) {
    check(false, 'test crashed: ' + (e.stack || e));
  } finally {
    client.close();
    health.close();
    gw.kill();
  }
  for (const m of Object.keys(expected)) checkSink(path.join(work, 'out', m + '.jsonl'), m);
  if (failures.length) {
    console.log(gw.stderrTail(40));
    console.log(`\nnode_client_test: ${failures.length} FAILED, ${passed} passed (work dir kept: ${work})`);
    return 1;
  }
  fs.rmSync(work, {recursive: true, force: true});
  console.log(`node_client_test: all ${passed} checks passed`);
  return 0;
}

main().then((code) => process.exit(code), (e) => {
  console.log('FAIL: ' + (e.stack || e));
  process.exit(1);
});
