#!/usr/bin/python3
"""End-to-end test of API keys and gRPC TLS on the real streamgate binary.

Usage: /usr/bin/python3 auth_tls_test.py STREAMGATE_BINARY SOURCE_DIR

Makes a throw-away PKI with the openssl CLI (two CAs, server and client
certificates for 127.0.0.1), then:
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
  3. Gateway B: mutual TLS (client_ca_file), no keys: a client without a
     certificate and one with a certificate from another CA are refused; a
     client with a CA-signed certificate publishes (anonymous: no origin
     project key fields).
Exit 0 = pass.
"""

import base64
import hashlib
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import traceback

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "lib"))
import harness  # noqa: E402
from harness import Checker, Fatal, Gateway  # noqa: E402
import oracle  # noqa: E402

KEY_A = "sg-test-key-A-7f3c9d1e"
KEY_B = "sg-test-key-B-0a4b2c6f"
WRONG = "sg-test-key-WRONG-5e8d"
T0 = oracle.utc_seconds(2024, 5, 1, 12, 0, 0)
TIMEOUT = 10.0

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

CONFIG_MTLS = """\
grpc:
  listen: "127.0.0.1:{port}"
  tls:
    cert_file: "{dir}/ca1-server.pem"
    key_file: "{dir}/ca1-server.key"
    client_ca_file: "{dir}/ca1.pem"
modules:
  - id: all
    subscribe_events: ["*"]
    sink: {{type: file, path: "{dir}/b.jsonl"}}
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


def sh(cmd, cwd):
    res = subprocess.run(cmd, shell=True, cwd=cwd, capture_output=True,
                         text=True)
    if res.returncode != 0:
        raise Fatal("command failed: %s\n%s" % (cmd, res.stderr))


def make_pki(d):
    """ca1, ca2; ca1-server, ca2-server (127.0.0.1), ca1-client, ca2-client."""
    with open(os.path.join(d, "server.ext"), "w") as f:
        f.write("subjectAltName=IP:127.0.0.1,DNS:localhost\n")
    with open(os.path.join(d, "client.ext"), "w") as f:
        f.write("extendedKeyUsage=clientAuth\n")
    for ca in ("ca1", "ca2"):
        sh("openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=%s "
           "-keyout %s.key -out %s.pem" % (ca, ca, ca), d)
        for role in ("server", "client"):
            name = "%s-%s" % (ca, role)
            cn = "localhost" if role == "server" else "device-client"
            sh("openssl req -newkey rsa:2048 -nodes -subj /CN=%s "
               "-keyout %s.key -out %s.csr" % (cn, name, name), d)
            sh("openssl x509 -req -days 2 -in %s.csr -CA %s.pem -CAkey %s.key "
               "-CAcreateserial -extfile %s.ext -out %s.pem"
               % (name, ca, ca, role, name), d)


def read(path):
    with open(path, "rb") as f:
        return f.read()


def tls_channel(port, ca_file, client=None):
    import grpc
    creds = grpc.ssl_channel_credentials(
        root_certificates=read(ca_file),
        private_key=read(client + ".key") if client else None,
        certificate_chain=read(client + ".pem") if client else None)
    # A private subchannel pool: every channel makes its own connection (and
    # TLS handshake) instead of reusing another channel's.
    return grpc.secure_channel("127.0.0.1:%d" % port, creds,
                               options=[("grpc.use_local_subchannel_pool", 1)])


def code_of(fn):
    import grpc
    try:
        fn()
        return grpc.StatusCode.OK
    except grpc.RpcError as e:
        return e.code()


def expected_event(event_type, data, ts, home, key_id=None, key_name=None):
    raw = oracle.render_event(event_type, data, oracle.format_timestamp(ts, 0),
                              home)
    if key_id is not None:
        # Spec 1.1 key order: the origin project key fields come last.
        raw = raw[:-1] + (',"originProjectKeyId":' + oracle.js_string(key_id) +
                          ',"originProjectKeyName":' +
                          oracle.js_string(key_name) + "}").encode()
    return raw


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


def gateway_b(binary, d, chk):
    import grpc
    from streamgate.v1 import gateway_pb2 as pb, gateway_pb2_grpc as pbg
    port = harness.free_port()
    gw = Gateway(binary, d, CONFIG_MTLS.format(port=port, dir=d), name="b")
    gw.start()
    ca = os.path.join(d, "ca1.pem")
    expected = []
    try:
        good = tls_channel(port, ca, os.path.join(d, "ca1-client"))
        gw.wait_serving(good)
        t = T0 + 5000
        ev = pb.Event(event_type="mtls", home_id=3)
        ev.timestamp.seconds = t
        chk.eq(code_of(lambda: pbg.GatewayStub(good).PublishEvent(
            ev, timeout=TIMEOUT)), grpc.StatusCode.OK,
            "mTLS client with a CA-signed certificate")
        expected.append(expected_event("mtls", None, t, 3))
        good.close()
        for client, what in ((None, "no client certificate"),
                             (os.path.join(d, "ca2-client"),
                              "a certificate from another CA")):
            ch = tls_channel(port, ca, client)
            chk.eq(code_of(lambda: pbg.GatewayStub(ch).PublishEvent(
                pb.Event(event_type="refused", home_id=3), timeout=TIMEOUT)),
                grpc.StatusCode.UNAVAILABLE, "mTLS client with %s" % what)
            ch.close()
    finally:
        gw.signal(signal.SIGTERM)
        code = gw.wait_exit()
        gw.close_files()
    chk.eq(code, 0, "gateway B exit code")
    got = [data for _, _, data in
           harness.read_sink_lines(os.path.join(d, "b.jsonl"), chk, "b.jsonl")]
    chk.eq(got, expected, "gateway B records (anonymous: no origin key fields)")


def main():
    if len(sys.argv) != 3:
        print(__doc__)
        return 2
    binary, src = sys.argv[1], sys.argv[2]
    chk = Checker()
    d = tempfile.mkdtemp(prefix="sg_auth_tls_")
    try:
        harness.generate_stubs(src, os.path.join(d, "stubs"))
        admin = os.path.exists(os.path.join(src, "proto/streamgate/v1/admin.proto"))
        if admin:
            res = subprocess.run(
                ["/usr/bin/protoc", "-I", os.path.join(src, "proto"), "-I",
                 "/usr/include",
                 "--plugin=protoc-gen-grpc_python=/usr/bin/grpc_python_plugin",
                 "--python_out=" + os.path.join(d, "stubs"),
                 "--grpc_python_out=" + os.path.join(d, "stubs"),
                 "streamgate/v1/admin.proto"], capture_output=True, text=True)
            if res.returncode != 0:
                raise Fatal("protoc admin.proto: " + res.stderr)
        make_pki(d)
        check_hash_key(binary, chk)
        gateway_a(binary, src, d, chk, admin)
        gateway_b(binary, d, chk)
    except Fatal as e:
        chk.check(False, "fatal: %s" % e)
    except Exception:  # noqa: BLE001 - report everything as a failure
        chk.check(False, "exception:\n" + traceback.format_exc())
    finally:
        if not chk.failures:
            shutil.rmtree(d, ignore_errors=True)
        else:
            print("work dir kept: " + d)
    print("%d checks passed, %d failed" % (chk.passed, len(chk.failures)))
    return 1 if chk.failures else 0


if __name__ == "__main__":
    sys.exit(main())
