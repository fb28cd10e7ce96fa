#!/usr/bin/python3
"""End-to-end test of API keys and gRPC TLS on the real streamgate binary.

Usage: /usr/bin/python3 auth_tls_test.py STREAMGATE_BINARY SOURCE_DIR

Makes a throw-away PKI with the openssl CLI (lib/tls_pki.py: two CAs, server
and client certificates for 127.0.0.1), then:
  1. `streamgate --hash-key` prints the key's SHA-256 (checked with hashlib).
  2. Gateway A: TLS + two API keys + file sink. Every Gateway RPC (unary
     event, unary bulk, the Publish stream) and every Admin RPC answers
     UNAUTHENTICATED without a key, with a wrong key and with a non-Bearer
     scheme, and OK with a right key; a plaintext client is refused; a Node
     (@grpc/grpc-js) client over TLS with a key publishes. The delivered
     records carry originProjectKeyId/Name of the key used, byte for byte in
     the spec's key order, even when the client put look-alike fields in
     eventData. The certificate files are replaced and SIGHUP sent: a new
     connection trusting only the new CA succeeds, the old CA fails. Neither
     key appears anywhere in the gateway's stderr; rejections are logged.
Mutual TLS: auth_mtls_test.py. Exit 0 = pass.
"""

import hashlib
import os
import shutil
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "lib"))
import harness  # noqa: E402
from harness import Fatal, Gateway  # noqa: E402
import tls_pki  # noqa: E402
from tls_pki import (KEY_A, KEY_B, T0, TIMEOUT, WRONG, code_of,  # noqa: E402
                     expected_event, read, tls_channel)

CONFIG = """\
grpc:
  listen: "127.0.0.1:{port}"
  tls:
    cert_file: "{dir}/live-server.pem"
    key_file: "{dir}/live-server.key"
api_keys:
  - {{id: key-a, name: "Project A", key_sha256: "{hash_a}"}}
  - {{id: key-b, name: "Project \\"B\\"", key_sha256: "{hash_b}"}}
modules:
  - id: all
    subscribe_events: ["*"]
    bulk_data_label: "*"
    sink: {{type: file, path: "{dir}/a.jsonl"}}
"""

NODE_CLIENT = r"""
const grpc = require('@grpc/grpc-js');
const loader = require('@grpc/proto-loader');
const fs = require('fs');
const [src, port, ca, key] = process.argv.slice(1);
const def = loader.loadSync('streamgate/v1/gateway.proto',
    {keepCase: true, longs: String, includeDirs: [src + '/proto']});
const pkg = grpc.loadPackageDefinition(def).streamgate.v1;
const client = new pkg.Gateway('127.0.0.1:' + port,
    grpc.credentials.createSsl(fs.readFileSync(ca)));
function call(auth) {
  const md = new grpc.Metadata();
  if (auth) md.add('authorization', auth);
  return new Promise((resolve) => client.PublishEvent(
      {event_type: 'node.tls', home_id: 9,
       timestamp: {seconds: String(process.argv[5]), nanos: 0}},
      md, {deadline: Date.now() + 10000},
      (err) => resolve(err ? err.code : 0)));
}
(async () => {
  const anon = await call(null);
  const good = await call('Bearer ' + key);
  console.log(JSON.stringify({anon, good}));
  client.close();
})();
"""


def check_hash_key(binary, chk):
    out = subprocess.run([binary, "--hash-key"], input=KEY_A + "\n",
                         capture_output=True, text=True, timeout=30)
    chk.eq(out.returncode, 0, "--hash-key exit code")
    chk.eq(out.stdout, hashlib.sha256(KEY_A.encode()).hexdigest() + "\n",
           "--hash-key output (one trailing newline stripped)")
    out = subprocess.run([binary, "--hash-key"], input=KEY_A,
                         capture_output=True, text=True, timeout=30)
    chk.eq(out.stdout.strip(), hashlib.sha256(KEY_A.encode()).hexdigest(),
           "--hash-key without a newline")
    return out.stdout.strip()


def gateway_a(binary, src, d, chk, admin):
    import grpc
    from streamgate.v1 import gateway_pb2 as pb, gateway_pb2_grpc as pbg
    shutil.copy(os.path.join(d, "ca1-server.pem"), os.path.join(d, "live-server.pem"))
    shutil.copy(os.path.join(d, "ca1-server.key"), os.path.join(d, "live-server.key"))
    port = harness.free_port()
    gw = Gateway(binary, d, CONFIG.format(
        port=port, dir=d, hash_a=hashlib.sha256(KEY_A.encode()).hexdigest(),
        hash_b=hashlib.sha256(KEY_B.encode()).hexdigest()), name="a")
    gw.start()
    try:
        ch = tls_channel(port, os.path.join(d, "ca1.pem"))
        gw.wait_serving(ch)  # health is not behind the keys
        stub = pbg.GatewayStub(ch)
        ts = iter(range(T0, T0 + 1000))
        expected = []  # record bytes in publish order

        def md(auth):
            return [("authorization", auth)] if auth is not None else None

        def event(auth, ev_type, data=None):
            t = next(ts)
            ev = pb.Event(event_type=ev_type, home_id=7)
            ev.timestamp.seconds = t
            if data:
                ev.event_data.update(data)
            return (lambda: stub.PublishEvent(ev, metadata=md(auth),
                                              timeout=TIMEOUT)), t

        def bulk(auth, record):
            req = pb.BulkData(device_id=5, label="raw", records=[record])
            return lambda: stub.PublishBulkData(req, metadata=md(auth),
                                                timeout=TIMEOUT)

        def stream(auth, ev_type):
            t = next(ts)
            req = pb.PublishRequest(id=1)
            req.event.event_type = ev_type
            req.event.home_id = 7
            req.event.timestamp.seconds = t

            def run():
                resps = list(stub.Publish(iter([req]), metadata=md(auth),
                                          timeout=TIMEOUT))
                if len(resps) != 1 or resps[0].code != 0:
                    raise Fatal("stream item not accepted: %r" % resps)
            return run, t

        bad = [(None, "no key"), ("Bearer " + WRONG, "wrong key"),
               ("Basic " + KEY_A, "Basic scheme"), (KEY_A, "no scheme"),
               ("Bearer ", "empty key")]
        for auth, what in bad:
            fn, _ = event(auth, "must.not.arrive")
            chk.eq(code_of(fn), grpc.StatusCode.UNAUTHENTICATED,
                   "PublishEvent with %s" % what)
            chk.eq(code_of(bulk(auth, b"must-not-arrive")),
                   grpc.StatusCode.UNAUTHENTICATED,
                   "PublishBulkData with %s" % what)
            fn, _ = stream(auth, "must.not.arrive")
            chk.eq(code_of(fn), grpc.StatusCode.UNAUTHENTICATED,
                   "Publish stream with %s" % what)

        # Right keys. A client cannot set the origin fields: look-alikes in
        # eventData stay inside eventData.
        spoof = {"originProjectKeyId": "evil", "originProjectKeyName": "evil"}
        fn, t = event("Bearer " + KEY_A, "unary.a", spoof)
        chk.eq(code_of(fn), grpc.StatusCode.OK, "PublishEvent with key A")
        expected.append(expected_event("unary.a", spoof, t, 7, "key-a",
                                       "Project A"))
        fn, t = event("bearer " + KEY_B, "unary.b")
        chk.eq(code_of(fn), grpc.StatusCode.OK,
               "PublishEvent with key B (lower-case scheme)")
        expected.append(expected_event("unary.b", None, t, 7, "key-b",
                                       'Project "B"'))
        chk.eq(code_of(bulk("Bearer " + KEY_A, b"bulk-record")),
               grpc.StatusCode.OK, "PublishBulkData with key A")
        expected.append(b"bulk-record")
        fn, t = stream("Bearer " + KEY_B, "stream.b")
        chk.eq(code_of(fn), grpc.StatusCode.OK, "Publish stream with key B")
        expected.append(expected_event("stream.b", None, t, 7, "key-b",
                                       'Project "B"'))

        if admin:
            from streamgate.v1 import admin_pb2, admin_pb2_grpc
            astub = admin_pb2_grpc.AdminStub(ch)
            calls = {
                "Admin.ListModules": lambda a: astub.ListModules(
                    admin_pb2.ListModulesRequest(), metadata=md(a),
                    timeout=TIMEOUT),
                "Admin.GetModuleLog": lambda a: astub.GetModuleLog(
                    admin_pb2.GetModuleLogRequest(module_id="all"),
                    metadata=md(a), timeout=TIMEOUT),
            }
            for name, fn in calls.items():
                for auth, what in bad:
                    chk.eq(code_of(lambda: fn(auth)),
                           grpc.StatusCode.UNAUTHENTICATED,
                           "%s with %s" % (name, what))
                chk.eq(code_of(lambda: fn("Bearer " + KEY_A)),
                       grpc.StatusCode.OK, "%s with key A" % name)

        # Plaintext to the TLS port is refused.
        plain = grpc.insecure_channel(
            "127.0.0.1:%d" % port, options=[("grpc.use_local_subchannel_pool", 1)])
        fn = lambda: pbg.GatewayStub(plain).PublishEvent(
            pb.Event(event_type="x", home_id=7),
            metadata=md("Bearer " + KEY_A), timeout=TIMEOUT)
        chk.eq(code_of(fn), grpc.StatusCode.UNAVAILABLE,
               "plaintext client on the TLS port")
        plain.close()

        # Node over TLS, with and without a key.
        node = shutil.which("node") or "node"
        t = next(ts)
        res = subprocess.run(
            [node, "-e", NODE_CLIENT, src, str(port),
             os.path.join(d, "ca1.pem"), KEY_A, str(t)],
            capture_output=True, text=True, timeout=60,
            env=dict(os.environ,
                     NODE_PATH=os.path.join(src, "tests", "node_modules")))
        chk.eq(res.stdout.strip(), '{"anon":16,"good":0}',
               "Node client over TLS (16 = UNAUTHENTICATED); stderr: " +
               res.stderr[-500:])
        expected.append(expected_event("node.tls", None, t, 9, "key-a",
                                       "Project A"))

        # Certificate rotation: replace the files, SIGHUP, new connections
        # get the certificate of the new CA.
        old_ok = tls_channel(port, os.path.join(d, "ca1.pem"))
        chk.eq(code_of(lambda: pbg.GatewayStub(old_ok).PublishBulkData(
            pb.BulkData(device_id=5, label="raw", records=[b"before-rotation"]),
            metadata=md("Bearer " + KEY_A), timeout=TIMEOUT)),
            grpc.StatusCode.OK, "CA1 client before rotation")
        expected.append(b"before-rotation")
        old_ok.close()
        shutil.copy(os.path.join(d, "ca2-server.pem"),
                    os.path.join(d, "live-server.pem"))
        shutil.copy(os.path.join(d, "ca2-server.key"),
                    os.path.join(d, "live-server.key"))
        gw.signal(signal.SIGHUP)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if b"TLS certificates re-read" in read(gw.stderr_path):
                break
            time.sleep(0.05)
        else:
            raise Fatal("no reload log line after SIGHUP\n" + gw.stderr_tail())
        new_ch = tls_channel(port, os.path.join(d, "ca2.pem"))
        chk.eq(code_of(lambda: pbg.GatewayStub(new_ch).PublishBulkData(
            pb.BulkData(device_id=5, label="raw", records=[b"after-rotation"]),
            metadata=md("Bearer " + KEY_A), timeout=TIMEOUT)),
            grpc.StatusCode.OK, "CA2 client after rotation + SIGHUP")
        expected.append(b"after-rotation")
        new_ch.close()
        stale = tls_channel(port, os.path.join(d, "ca1.pem"))
        chk.eq(code_of(lambda: pbg.GatewayStub(stale).PublishBulkData(
            pb.BulkData(device_id=5, label="raw", records=[b"x"]),
            metadata=md("Bearer " + KEY_A), timeout=TIMEOUT)),
            grpc.StatusCode.UNAVAILABLE, "CA1-only client after rotation")
        stale.close()
        ch.close()
    finally:
        if gw.proc.poll() is None:
            gw.signal(signal.SIGTERM)
        code = gw.wait_exit()
        gw.close_files()
    chk.eq(code, 0, "gateway A exit code")

    got = [data for _, _, data in
           harness.read_sink_lines(os.path.join(d, "a.jsonl"), chk, "a.jsonl")]
    chk.eq(got, expected, "gateway A delivered records (byte for byte)")
    log = read(gw.stderr_path)
    for secret in (KEY_A, KEY_B, WRONG):
        chk.check(secret.encode() not in log,
                  "a key appears in the gateway log: %s..." % secret[:10])
    chk.check(b"rejected: unknown API key" in log,
              "rejections with a wrong key are logged")
    chk.check(b"rejected: missing API key" in log,
              "rejections without a key are logged")



def run(binary, src, d, chk, admin):
    check_hash_key(binary, chk)
    gateway_a(binary, src, d, chk, admin)


if __name__ == "__main__":
    sys.exit(tls_pki.main(__doc__, "auth_tls_test", "sg_auth_tls_", run))
