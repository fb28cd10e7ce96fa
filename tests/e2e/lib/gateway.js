// Shared plumbing for the Node end-to-end tests of the streamgate binary:
// loads the protos with @grpc/proto-loader (no code generation), picks a
// free loopback port, starts/stops the real gateway and waits for health
// SERVING. Everything is promise-based; one gateway per Gateway object.
'use strict';

const childProcess = require('child_process');
const fs = require('fs');
const net = require('net');
const path = require('path');
const grpc = require('@grpc/grpc-js');
const protoLoader = require('@grpc/proto-loader');

const LOCAL_PROTOS = path.join(__dirname, 'protos');
const LOADER_OPTIONS = {
  keepCase: true, longs: String, enums: Number, defaults: true, oneofs: true,
};

function loadProtos(srcDir) {
  const def = protoLoader.loadSync(
      ['streamgate/v1/gateway.proto', 'e2e_health/health.proto'],
      {...LOADER_OPTIONS, includeDirs: [path.join(srcDir, 'proto'), LOCAL_PROTOS]});
  return grpc.loadPackageDefinition(def);
}

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const {port} = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

class Gateway {
  constructor(binary, workDir, configText, name = 'gw') {
    this.binary = binary;
    this.configPath = path.join(workDir, name + '.yaml');
    this.stdoutPath = path.join(workDir, name + '.stdout');
    this.stderrPath = path.join(workDir, name + '.stderr');
    fs.writeFileSync(this.configPath, configText);
    this.proc = null;
    this.exit = null;  // promise of {code, signal}
  }

  start() {
    const out = fs.openSync(this.stdoutPath, 'w');
    const err = fs.openSync(this.stderrPath, 'w');
    this.proc = childProcess.spawn(this.binary, ['--config', this.configPath],
                                   {stdio: ['ignore', out, err]});
    fs.closeSync(out);
    fs.closeSync(err);
    this.exited = false;
    this.exit = new Promise((resolve) => {
      this.proc.on('exit', (code, signal) => {
        this.exited = true;
        resolve({code, signal});
      });
    });
  }

  async waitServing(healthClient, timeoutMs = 20000) {
    const deadline = Date.now() + timeoutMs;
    let last = '';
    while (Date.now() < deadline) {
      if (this.exited) {
        throw new Error('gateway exited during start-up\n' + this.stderrTail());
      }
      const res = await new Promise((resolve) => {
        healthClient.Check({service: ''}, {deadline: Date.now() + 1000},
                           (err, resp) => resolve({err, resp}));
      });
      if (!res.err && res.resp.status === 1) return;
      last = res.err ? `${res.err.code} ${res.err.details}` : `status ${res.resp.status}`;
      await sleep(50);
    }
    throw new Error(`gateway not SERVING (last: ${last})\n` + this.stderrTail());
  }

  // Sends `signal` and resolves to the exit code; kills after timeoutMs.
  async stop(signal = 'SIGTERM', timeoutMs = 30000) {
    this.proc.kill(signal);
    const timer = sleep(timeoutMs).then(() => null);
    const res = await Promise.race([this.exit, timer]);
    if (res === null) {
      this.kill();
      throw new Error(`gateway did not exit within ${timeoutMs} ms of ${signal}\n` +
                      this.stderrTail());
    }
    return res;
  }

  kill() {
    if (this.proc && !this.exited) this.proc.kill('SIGKILL');
  }

  stderrTail(n = 40) {
    try {
      const lines = fs.readFileSync(this.stderrPath, 'utf8').split('\n');
      return `--- gateway stderr (last ${n} lines) ---\n` + lines.slice(-n).join('\n');
    } catch (e) {
      return '(no stderr)';
    }
  }
}

module.exports = {Gateway, freePort, loadProtos, sleep, grpc};
