#!/usr/bin/python3
"""Known bug 3 of six, black box (red until it is fixed):
rejected Publish stream items logged.

Usage: /usr/bin/python3 shape_bug_stream_reject_test.py STREAMGATE SOURCE_DIR [--ctl CTL]

stream_reject_logged: a rejected Publish stream item is logged
(WARN/ERROR) with its id and reason.

Own gateway(s) on free ports, < 20 s, PASS/FAIL, exit 1 if it failed (see
lib/shape_bugs.py); a fixed gateway's new formats: the case's docstring.
"""

import os
import re
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "lib"))
import harness  # noqa: E402
from shape_bugs import (CALL_TIMEOUT, WARN_LEVELS, log_lines, run_cases,  # noqa: E402
                        stop, wait_until)


STREAM_CONFIG = """\
grpc: {{listen: "127.0.0.1:{port}"}}
devices: [{{id: 42, home_id: 7}}]
modules:
  - id: files
    subscribe_events: ["*"]
    bulk_data_label: "*"
    sink: {{type: file, path: "{dir}/files.jsonl"}}
"""


def reason_in(msg, reason):
    """True if the log message carries the rejection reason: the item's
    response message, or it without its leading "event." / "bulk_data." /
    "batch." path."""
    tail = reason.split(".", 1)[1] if re.match(r"^[a-z_]+\.", reason) else reason
    return reason in msg or tail in msg


def case_stream_reject_logged(ctx):
    """Bug 3. Over one Publish stream: an event with no event_type, a bulk
    item with bad MessagePack, a batch with a negative home_id, an item with
    nothing set (each with a distinctive client id), and a good event.

    Expected (README: "every rejected input is logged at ERROR with its
    reason"): for each rejected item a WARN or ERROR line on stderr holding
    the item's id (as a whole number) and its reason (the response message,
    with or without its leading "event."/"bulk_data."/"batch." path). The
    unary PublishEvent rejection (logged today) is checked the same way as a
    control."""
    import grpc
    from streamgate.v1 import gateway_pb2 as pb, gateway_pb2_grpc as pbg
    chk = ctx.chk
    port = harness.free_port()
    gw = ctx.gateway(STREAM_CONFIG.format(port=port, dir=ctx.work))
    ch = ctx.serving(gw, port)
    stub = pbg.GatewayStub(ch)

    good = pb.Event(event_type="ok", home_id=7)
    good.origin_device_id = 42
    bad_batch = pb.EventBatch(events=[good, pb.Event(event_type="x", home_id=-1)])
    items = [
        pb.PublishRequest(id=7000000001, event=pb.Event(event_type="", home_id=7)),
        pb.PublishRequest(id=7000000002, event=good),
        pb.PublishRequest(id=7000000003, bulk_data=pb.BulkData(
            device_id=42, label="logs", msgpack_payload=b"\xa3not-a-map")),
        pb.PublishRequest(id=7000000004, batch=bad_batch),
        pb.PublishRequest(id=7000000005),
    ]
    answers = list(stub.Publish(iter(items), timeout=CALL_TIMEOUT))
    codes = {a.id: (a.code, a.message) for a in answers}
    print("  stream answers: %r" % codes)
    chk.eq(sorted(codes), sorted(i.id for i in items), "set-up: one answer per item")
    chk.eq(codes.get(7000000002, (None,))[0], 0, "set-up: the good item is accepted")
    rejected = {i: msg for i, (code, msg) in codes.items() if code == 3}
    chk.eq(sorted(rejected), [7000000001, 7000000003, 7000000004, 7000000005],
           "set-up: INVALID_ARGUMENT items")

    unary_reason = None
    try:
        stub.PublishEvent(pb.Event(event_type="", home_id=7), timeout=CALL_TIMEOUT)
        chk.check(False, "set-up: unary PublishEvent with no event_type accepted")
    except grpc.RpcError as e:
        unary_reason = e.details()
    ch.close()

    def logged(pred):
        return any(level in WARN_LEVELS and pred(msg)
                   for level, msg, _ in log_lines(gw))
    # control: the unary rejection is logged today
    chk.check(wait_until(lambda: logged(lambda m: "PublishEvent" in m and
                                        reason_in(m, unary_reason or "?")), 3),
              "control: the unary PublishEvent rejection (%r) is logged at "
              "WARN/ERROR" % unary_reason)
    def item_logged(item_id, reason):
        return logged(lambda m: re.search(r"(?<!\d)%d(?!\d)" % item_id, m)
                      is not None and reason_in(m, reason))
    wait_until(lambda: all(item_logged(i, r) for i, r in rejected.items()), 2)
    for item_id, reason in sorted(rejected.items()):
        ok = item_logged(item_id, reason)
        if not ok:
            print("  no log line for stream item %d (%s)" % (item_id, reason))
        chk.check(ok, "expected a WARN/ERROR log line for the rejected Publish "
                  "stream item id %d naming the id and its reason %r; none "
                  "found" % (item_id, reason))
    stop(gw)


if __name__ == "__main__":
    sys.exit(run_cases(__doc__, [("stream_reject_logged", case_stream_reject_logged)]))
