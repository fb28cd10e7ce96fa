#!/usr/bin/python3
"""SIGTERM during a burst, with Debian's Python gRPC client.

Usage: /usr/bin/python3 python_client_burst_test.py STREAMGATE_BINARY SOURCE_DIR

Starts the real gateway on a free 127.0.0.1 port with one file sink, runs a
Publish stream of batches and unary PublishEvent calls, and sends SIGTERM
while both are in flight: the gateway must exit 0, every call must end OK or
UNAVAILABLE, and every acknowledged record must be in the file exactly once.
Exit 0 = pass.
"""

import json
import os
import signal
import sys
import threading
import time
from collections import Counter

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "lib"))
import harness  # noqa: E402
from harness import Gateway  # noqa: E402
import pyclient  # noqa: E402
from pyclient import CALL_TIMEOUT, OK, T0, Client  # noqa: E402


BURST_CONFIG = """\
grpc:
  listen: "127.0.0.1:{port}"
modules:
  - id: archive
    subscribe_events: ["*"]
    sink: {{type: file, path: "{dir}/burst/archive.jsonl"}}
"""


def burst_scenario(binary, work, chk):
    """SIGTERM while a stream and unary calls are in flight: exit 0 and every
    acknowledged record in the file."""
    import grpc
    port = harness.free_port()
    gw = Gateway(binary, work, BURST_CONFIG.format(port=port, dir=work),
                 "burst")
    gw.start()
    channel = grpc.insecure_channel("127.0.0.1:%d" % port)
    cl = None
    acked = set()          # ("s", request id, i) or ("u", n)
    codes = Counter()
    lock = threading.Lock()
    stop = threading.Event()
    stream_end = []
    stream_acks = [0]
    batch_size = 20

    def batch_of(rid):
        return [cl.make_event(dict(type="burst", home=1, device=rid + 1,
                                   ts=(T0, 0), data={"s": rid, "i": i}))
                for i in range(batch_size)]

    def requests():
        for rid in range(1, 3001):
            if stop.is_set():
                return
            yield cl.pb.PublishRequest(
                id=rid, batch=cl.pb.EventBatch(events=batch_of(rid)))

    def stream_worker():
        try:
            for resp in cl.stub.Publish(requests(), timeout=60):
                with lock:
                    codes["stream %d" % resp.code] += 1
                    if resp.code == OK:
                        stream_acks[0] += 1
                        chk.eq(resp.records, batch_size, "burst batch records")
                        for i in range(batch_size):
                            acked.add(("s", resp.id, i))
            stream_end.append("OK")
        except grpc.RpcError as err:
            stream_end.append(err.code().name)
        stop.set()

    def unary_worker():
        n = 0
        while not stop.is_set() and n < 20000:
            n += 1
            try:
                cl.stub.PublishEvent(cl.make_event(dict(
                    type="burst", home=2, ts=(T0, 0), data={"u": n})),
                    timeout=CALL_TIMEOUT)
                with lock:
                    acked.add(("u", n))
                    codes["unary 0"] += 1
            except grpc.RpcError as err:
                with lock:
                    codes["unary %s" % err.code().name] += 1
                if err.code() == grpc.StatusCode.UNAVAILABLE:
                    return
                chk.check(False, "burst unary: unexpected %s %s" %
                          (err.code(), err.details()))
                return

    try:
        gw.wait_serving(channel)
        cl = Client(channel, chk)
        threads = [threading.Thread(target=stream_worker),
                   threading.Thread(target=unary_worker)]
        for t in threads:
            t.start()
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and not stop.is_set():
            with lock:
                if stream_acks[0] >= 20 and codes["unary 0"] >= 20:
                    break
            time.sleep(0.005)
        chk.check(not stop.is_set(), "burst ended before SIGTERM was sent "
                  "(stream end: %s)" % stream_end)
        gw.signal(signal.SIGTERM)
        rc = gw.wait_exit()
        stop.set()
        for t in threads:
            t.join(30)
        chk.eq(rc, 0, "burst gateway exit code after SIGTERM")
    finally:
        stop.set()
        channel.close()
        gw.kill()
        gw.close_files()
    print("burst: %d acknowledged records, codes %s, stream end %s" %
          (len(acked), dict(codes), stream_end))
    bad = [c for c in codes if c not in ("stream 0", "stream 14", "unary 0",
                                         "unary UNAVAILABLE")]
    chk.check(not bad, "burst: codes other than OK/UNAVAILABLE: %s" % bad)
    written = Counter()
    for mod, key, data in harness.read_sink_lines(
            os.path.join(work, "burst/archive.jsonl"), chk, "burst sink"):
        d = json.loads(data)["eventData"]
        written[("s", d["s"], d["i"]) if "s" in d else ("u", d["u"])] += 1
    lost = [a for a in acked if written[a] == 0]
    chk.check(not lost, "burst: %d acknowledged records missing after SIGTERM,"
              " e.g. %s" % (len(lost), sorted(lost)[:5]))
    dup = [a for a, n in written.items() if n > 1]
    chk.check(not dup, "burst: %d records written twice, e.g. %s" %
              (len(dup), dup[:5]))
    if chk.failures:
        print(gw.stderr_tail(40))


if __name__ == "__main__":
    sys.exit(pyclient.main(__doc__, "python_client_burst_test",
                           "streamgate-e2e-py-burst-",
                           lambda binary, src, work, chk:
                           burst_scenario(binary, work, chk)))
