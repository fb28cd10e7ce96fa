#!/usr/bin/env python3
"""Issue 15 item 2: each Publish stream kept its largest batch in memory for
its lifetime (60 idle streams after one 100k-event batch each: +1.24 GB).
STREAMS streams each send one batch of BATCH tiny events and then stay open
and idle; the gateway's resident memory (VmRSS) while they idle, and after
they closed, must stay within BOUND_MB of what it was before. Before the
fix every idle stream held its parsed batch (about 20 MB here), so the
growth was STREAMS times that.

Usage: publish_memory_test.py STREAMGATE_BINARY SOURCE_DIR
"""

import os
import queue
import sys
import tempfile
import threading

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
import harness  # noqa: E402

STREAMS = 16
BATCH = 100000
BOUND_MB = 100

CONFIG = """
grpc:
  listen: "127.0.0.1:{port}"
  max_message_bytes: 8388608
limits:
  max_records_per_input: {batch}
modules:
  - id: none
    subscribe_events: ["nobody.subscribes"]
    sink: {{type: stdout}}
"""


def rss_mb(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024.0
    raise harness.Fatal("no VmRSS for %d" % pid)


def main():
    binary, src = sys.argv[1], sys.argv[2]
    work = tempfile.mkdtemp(prefix="sg-pubmem-")
    harness.generate_stubs(src, os.path.join(work, "stubs"))
    from streamgate.v1 import gateway_pb2 as pb, gateway_pb2_grpc as rpc
    chk = harness.Checker()
    port = harness.free_port()
    gw = harness.Gateway(binary, work, CONFIG.format(port=port, batch=BATCH))

    def body():
        gw.start()
        ch = gw.serving_channel(port, options=[
            ("grpc.max_send_message_length", 16 << 20)])
        stub = rpc.GatewayStub(ch)
        batch = pb.PublishRequest(id=1)
        for i in range(BATCH):
            batch.batch.events.add(event_type="a", home_id=1 + i % 100)
        print("batch: %d bytes" % batch.ByteSize(), flush=True)
        # Warm up one stream so gRPC's own first-use allocations are in
        # the baseline.
        small = pb.PublishRequest(id=1, event=pb.Event(event_type="a", home_id=1))
        list(stub.Publish(iter([small]), timeout=30))
        before = rss_mb(gw.proc.pid)
        streams = []
        for _ in range(STREAMS):
            q = queue.Queue()

            def gen(q=q):
                while True:
                    r = q.get()
                    if r is None:
                        return
                    yield r
            call = stub.Publish(gen(), timeout=120)
            q.put(batch)
            resp = next(call)
            chk.eq(resp.code, 0, "the batch is accepted")
            chk.eq(resp.records, BATCH, "records acknowledged")
            streams.append((q, call))
        idle = rss_mb(gw.proc.pid)
        for q, call in streams:
            q.put(None)
            for _ in call:
                pass
        closed = rss_mb(gw.proc.pid)
        print("RSS MB: before %.0f, %d idle streams %.0f, closed %.0f" % (
            before, STREAMS, idle, closed), flush=True)
        if harness.rss_bounds_apply():
            chk.check(idle - before < BOUND_MB,
                      "idle streams after a big batch grew RSS by %.0f MB "
                      "(bound %d)" % (idle - before, BOUND_MB))
            chk.check(closed - before < BOUND_MB,
                      "after the streams closed RSS is %.0f MB over the start "
                      "(bound %d)" % (closed - before, BOUND_MB))
        else:
            print("RSS bounds not checked: sanitizer build", flush=True)
        ch.close()
        chk.eq(gw.stop(), 0, "exit code after SIGTERM")

    try:
        return harness.run_checks("publish_memory", work, chk, body)
    finally:
        gw.kill()


if __name__ == "__main__":
    sys.exit(main())
