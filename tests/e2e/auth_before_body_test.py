#!/usr/bin/env python3
"""Issue 15 item 2: unauthenticated 4 MB requests were read and held in full
before the API-key check (8 clients: RSS 58 -> 350 MB). The gateway has an
API key; CLIENTS clients send ROUNDS rounds of IN_FLIGHT concurrent
PublishBulkData calls of 4 MB each without a key (and with a wrong one). Every call must be
answered UNAUTHENTICATED, the rejection must come from the header check
that runs before the body is read (its log line says so), health and
reflection must stay open without a key, a call with the key must work, and
the gateway's resident memory must grow by less than BOUND_MB.

Usage: auth_before_body_test.py STREAMGATE_BINARY SOURCE_DIR
"""

import os
import subprocess
import sys
import tempfile
import threading

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
import harness  # noqa: E402

KEY = "sg-test-key-before-body-3b9e"
CLIENTS = 8
ROUNDS = 4
IN_FLIGHT = 4  # calls per client at once
BOUND_MB = 100

CONFIG = """
grpc:
  listen: "127.0.0.1:{port}"
api_keys:
  - {{id: k1, name: test, key_sha256: "{hash}"}}
modules:
  - id: all
    bulk_data_label: "*"
    sink: {{type: file, path: "{dir}/sink.jsonl"}}
"""


def rss_mb(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024.0
    return 0.0


def main():
    binary, src = sys.argv[1], sys.argv[2]
    work = tempfile.mkdtemp(prefix="sg-authbody-")
    harness.generate_stubs(src, os.path.join(work, "stubs"))
    import grpc
    from streamgate.v1 import gateway_pb2 as pb, gateway_pb2_grpc as rpc
    chk = harness.Checker()
    port = harness.free_port()
    digest = subprocess.run([binary, "--hash-key"], input=KEY, text=True,
                            capture_output=True, check=True).stdout.strip()
    gw = harness.Gateway(binary, work,
                         CONFIG.format(port=port, hash=digest, dir=work))

    def body():
        gw.start()
        ch = gw.serving_channel(port)  # health without a key
        big = pb.BulkData(device_id=1, label="x",
                          records=[b"\x00" * (1 << 20)] * 4)
        big.records[0] = b"\x01" * ((1 << 20) - 64)  # under 4 MiB in total
        print("request: %d bytes" % big.ByteSize(), flush=True)
        before = rss_mb(gw.proc.pid)
        peak = [before]
        codes = []
        lock = threading.Lock()

        def client(n):
            c = grpc.insecure_channel("127.0.0.1:%d" % port, options=[
                ("grpc.use_local_subchannel_pool", 1),
                ("grpc.max_send_message_length", 8 << 20)])
            stub = rpc.GatewayStub(c)
            md = [] if n % 2 == 0 else [("authorization", "Bearer wrong")]
            for _ in range(ROUNDS):
                calls = [stub.PublishBulkData.future(big, timeout=60,
                                                     metadata=md)
                         for _ in range(IN_FLIGHT)]
                for f in calls:
                    try:
                        f.result()
                        code = grpc.StatusCode.OK
                    except grpc.RpcError as e:
                        code = e.code()
                    with lock:
                        codes.append(code)
                        peak[0] = max(peak[0], rss_mb(gw.proc.pid))
            c.close()
        threads = [threading.Thread(target=client, args=(n,))
                   for n in range(CLIENTS)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        after = rss_mb(gw.proc.pid)
        print("RSS MB: before %.0f, peak %.0f, after %.0f (%d clients x %d "
              "x %d calls of 4 MB without a valid key)" % (
                  before, peak[0], after, CLIENTS, ROUNDS, IN_FLIGHT),
              flush=True)
        chk.eq(set(codes), {grpc.StatusCode.UNAUTHENTICATED},
               "every unauthenticated call's status")
        chk.eq(len(codes), CLIENTS * ROUNDS * IN_FLIGHT, "calls answered")
        if harness.rss_bounds_apply():
            chk.check(peak[0] - before < BOUND_MB,
                      "RSS grew by %.0f MB (bound %d)" % (peak[0] - before,
                                                          BOUND_MB))
        else:
            print("RSS bound not checked: sanitizer build", flush=True)
        log = gw.stderr_text()
        chk.check("(a client, before the call's body) rejected: missing API key"
                  in log, "a missing key is refused on the headers")
        chk.check("(a client, before the call's body) rejected: unknown API key"
                  in log, "a wrong key is refused on the headers")
        chk.check(KEY not in log and "Bearer wrong" not in log,
                  "no key in the log")
        ok = rpc.GatewayStub(ch).PublishBulkData(
            pb.BulkData(device_id=1, label="x", records=[b"ok"]), timeout=10,
            metadata=[("authorization", "Bearer " + KEY)])
        chk.eq(ok.records, 1, "a call with the key is accepted")
        ch.close()
        chk.eq(gw.stop(), 0, "exit code after SIGTERM")

    try:
        return harness.run_checks("auth_before_body", work, chk, body)
    finally:
        gw.kill()


if __name__ == "__main__":
    sys.exit(main())
