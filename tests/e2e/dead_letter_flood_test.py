#!/usr/bin/env python3
"""Issue 15 item 5, end to end: a flood of bad requests must not rotate an
acknowledged, undeliverable Kinesis record out of existence, and every
dead-letter line rotation deletes must be counted as lost.

A real gateway with a root `dead_letter:` of 1 MiB per file, one rotated
file kept, and a Kinesis module whose endpoint (a local fake) answers
ResourceNotFoundException. One event is accepted (acknowledged) for that
module and given up on (dead-lettered). Then FLOOD PublishBulkData calls
with a 2 MiB record each (over limits.max_record_bytes: INVALID_ARGUMENT,
each a door reject clipped to the file's line bound, so each rotates).

Expected: the give-up is still on disk (in `path` + ".deliveries", a file
of its own), and /metrics adds up: FLOOD reject lines written, those no
longer on disk counted in streamgate_dead_letter_lines_lost_total, the
give-up written once and never lost. Before the fix both shared one file:
the give-up was rotated away and lines_lost stayed 0.

Usage: dead_letter_flood_test.py STREAMGATE_BINARY SOURCE_DIR
"""

import base64
import glob
import json
import os
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
import harness  # noqa: E402
from fake_kinesis import FakeKinesis  # noqa: E402
from metrics_admin import scrape  # noqa: E402
from prom_text import parse_exposition, value_of  # noqa: E402

FLOOD = 70
SETTLE_S = 20  # bounded waits for what the gateway does on its own threads

CONFIG = """
grpc: {{listen: "127.0.0.1:{grpc_port}"}}
metrics: {{listen: "127.0.0.1:{metrics_port}"}}
devices: [{{id: 42, home_id: 7}}]
dead_letter: {{path: "{dir}/dead/dl.jsonl", max_bytes: 1048576, keep: 1}}
modules:
  - id: kin
    subscribe_events: ["kin"]
    sink: {{type: kinesis, region: us-east-1, stream_name: gone,
            endpoint: "http://127.0.0.1:{http_port}", linger_ms: 0}}
"""


def not_found(body):
    return 400, {
        "__type": "com.amazonaws.kinesis.v20131202#ResourceNotFoundException",
        "message": "Stream gone under account 123456789012 not found."}


def main():
    binary, src = sys.argv[1], sys.argv[2]
    work = tempfile.mkdtemp(prefix="sg-dl-flood-")
    harness.generate_stubs(src, os.path.join(work, "stubs"))
    import grpc
    from streamgate.v1 import gateway_pb2 as pb, gateway_pb2_grpc as rpc
    chk = harness.Checker()
    server = FakeKinesis(not_found)
    grpc_port, metrics_port = harness.free_port(), harness.free_port()
    env = dict(os.environ, AWS_ACCESS_KEY_ID="AKIDSTREAMGATEFLOOD",
               AWS_SECRET_ACCESS_KEY="not-a-real-secret",
               AWS_EC2_METADATA_DISABLED="true")
    env.pop("AWS_SESSION_TOKEN", None)
    env.pop("AWS_PROFILE", None)
    gw = harness.Gateway(binary, work, CONFIG.format(
        grpc_port=grpc_port, metrics_port=metrics_port, dir=work,
        http_port=server.port), env=env)
    dead = os.path.join(work, "dead", "dl.jsonl")

    def metrics():
        _, _, text = scrape(metrics_port)
        return parse_exposition(text)

    def wait(cond, what):
        deadline = time.monotonic() + SETTLE_S
        while time.monotonic() < deadline:
            if cond():
                return True
            time.sleep(0.05)
        chk.check(False, "not within %d s: %s" % (SETTLE_S, what))
        return False

    def lines(pattern):
        out = []
        for path in sorted(glob.glob(pattern)):
            with open(path, "rb") as f:
                out += f.read().splitlines()
        return out

    def body():
        gw.start()
        ch = gw.serving_channel(grpc_port)
        stub = rpc.GatewayStub(ch)
        event = pb.Event(event_type="kin", home_id=7)
        event.event_data.update({"acknowledged": True})
        chk.eq(stub.PublishEvent(event, timeout=10).records, 1,
               "the Kinesis event is acknowledged")
        wait(lambda: value_of(metrics(),
                              "streamgate_module_records_dead_lettered_total",
                              module="kin") == 1,
             "the Kinesis record given up on (dead-lettered)")

        big = pb.BulkData(device_id=42, label="flood",
                          records=[b"\xab" * (2 << 20)])
        codes = set()
        for _ in range(FLOOD):
            try:
                stub.PublishBulkData(big, timeout=30)
                codes.add("OK")
            except grpc.RpcError as e:
                codes.add(e.code())
        chk.eq(codes, {grpc.StatusCode.INVALID_ARGUMENT},
               "answers to the oversized records")
        wait(lambda: value_of(metrics(),
                              "streamgate_dead_letter_lines_written_total")
             == FLOOD, "%d reject lines written" % FLOOD)

        give_ups = [json.loads(ln) for ln in lines(dead + "*")
                    if b'"source":"kinesis"' in ln]
        chk.eq(len(give_ups), 1, "the give-up line still on disk")
        if give_ups:
            g = give_ups[0]
            chk.eq(g["module"], "kin", "give-up module")
            record = json.loads(base64.b64decode(g["data"]))
            chk.eq(record.get("eventData"), {"acknowledged": True},
                   "give-up data is the acknowledged event")
        chk.eq(len(lines(dead + ".deliveries*")), 1,
               "the delivery file holds the give-up (and nothing else)")
        on_disk = len(lines(dead)) + len(lines(dead + ".1"))
        fams = metrics()
        chk.eq(value_of(fams, "streamgate_dead_letter_lines_lost_total"),
               FLOOD - on_disk,
               "reject lines lost = written (%d) - still on disk (%d)"
               % (FLOOD, on_disk))
        chk.check(0 < on_disk <= 2, "reject lines on disk: %d (one file "
                  "each: each line fills one)" % on_disk)
        chk.eq(value_of(fams, "streamgate_dead_letter_delivery_lines_written_total"),
               1, "delivery lines written")
        chk.eq(value_of(fams, "streamgate_dead_letter_delivery_lines_lost_total"),
               0, "delivery lines lost")
        ch.close()
        chk.eq(gw.stop(), 0, "exit code after SIGTERM")

    try:
        return harness.run_checks("dead_letter_flood_test", work, chk, body)
    finally:
        gw.kill()
        gw.close_files()
        server.close()


if __name__ == "__main__":
    sys.exit(main())
