"""What the API key and TLS tests (auth_tls_test.py, auth_mtls_test.py)
share: the keys, a throw-away PKI made with the openssl CLI, TLS channels,
status codes of calls, and the record bytes an event must give (with the
origin project key fields of spec 1.1 when a key was used).
Single-threaded.
"""

import os
import subprocess
import sys
import tempfile

import harness
import oracle
from harness import Fatal

KEY_A = "sg-test-key-A-7f3c9d1e"
KEY_B = "sg-test-key-B-0a4b2c6f"
WRONG = "sg-test-key-WRONG-5e8d"
T0 = oracle.utc_seconds(2024, 5, 1, 12, 0, 0)
TIMEOUT = 10.0


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


def main(doc, name, prefix, run):
    """main() of a TLS test, usage SCRIPT STREAMGATE_BINARY SOURCE_DIR:
    generates the stubs (admin.proto's too, when the tree has it) and the
    PKI in a temporary dir (prefix `prefix`), runs run(binary, src, dir,
    checker, admin) and prints the verdict. Returns the exit code."""
    if len(sys.argv) != 3:
        print(doc)
        return 2
    binary, src = sys.argv[1], sys.argv[2]
    chk = harness.Checker()
    d = tempfile.mkdtemp(prefix=prefix)

    def body():
        admin = os.path.exists(os.path.join(src, "proto/streamgate/v1/admin.proto"))
        harness.generate_stubs(src, os.path.join(d, "stubs"), admin=admin)
        make_pki(d)
        run(binary, src, d, chk, admin)
    return harness.run_checks(name, d, chk, body)
