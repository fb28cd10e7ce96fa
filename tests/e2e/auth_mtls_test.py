#!/usr/bin/python3
"""End-to-end test of mutual TLS on the real streamgate binary.

Usage: /usr/bin/python3 auth_mtls_test.py STREAMGATE_BINARY SOURCE_DIR

Makes a throw-away PKI with the openssl CLI (lib/tls_pki.py: two CAs, server
and client certificates for 127.0.0.1), then starts Gateway B: mutual TLS
(client_ca_file), no keys: a client without a certificate and one with a
certificate from another CA are refused; a client with a CA-signed
certificate publishes (anonymous: no origin project key fields).
Exit 0 = pass.
"""

import os
import signal
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "lib"))
import harness  # noqa: E402
from harness import Gateway  # noqa: E402
import tls_pki  # noqa: E402
from tls_pki import T0, TIMEOUT, code_of, expected_event, tls_channel  # noqa: E402

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


def run(binary, src, d, chk, admin):
    gateway_b(binary, d, chk)


if __name__ == "__main__":
    sys.exit(tls_pki.main(__doc__, "auth_mtls_test", "sg_auth_mtls_", run))
