#!/usr/bin/python3
"""Known bug 2 of six, black box (red until it is fixed):
streamgate-ctl modules and dead letters.

Usage: /usr/bin/python3 shape_bug_ctl_dead_lettered_test.py STREAMGATE SOURCE_DIR [--ctl CTL]

ctl_dead_lettered: `streamgate-ctl modules` shows delivered and
dead-lettered apart, matching /metrics (a fake Kinesis endpoint in this
process, lib/fake_kinesis.py).

Own gateway(s) on free ports, < 20 s, PASS/FAIL, exit 1 if it failed (see
lib/shape_bugs.py); a fixed gateway's new formats: the case's docstring.
"""

import base64
import itertools
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "lib"))
import harness  # noqa: E402
from harness import Fatal  # noqa: E402
from fake_kinesis import FakeKinesis  # noqa: E402
from shape_bugs import (AWS_DUMMY, CALL_TIMEOUT, as_int, column, metric,  # noqa: E402
                        parse_table, run_cases, run_ctl, scrape, stop,
                        wait_until)


def fake_answer():
    """The loopback Kinesis endpoint's answers: stream "gone" answers 400
    ResourceNotFoundException (non-retryable: every record dead-lettered);
    any other stream answers 200 with a SequenceNumber per record, except
    records whose data contains b"sg-bad", which get the per-record
    non-retryable ErrorCode ValidationException (dead-lettered)."""
    requests = itertools.count(1)

    def answer(body):
        n = next(requests)
        if body.get("StreamName") == "gone":
            return 400, {"__type": "ResourceNotFoundException",
                         "message": "Stream gone under account 000000000000 "
                                    "not found."}
        recs, failed = [], 0
        for i, r in enumerate(body.get("Records", [])):
            if b"sg-bad" in base64.b64decode(r.get("Data", "")):
                failed += 1
                recs.append({"ErrorCode": "ValidationException",
                             "ErrorMessage": "refused by the test"})
            else:
                recs.append({"SequenceNumber": "4959%020d" % (n * 1000 + i),
                             "ShardId": "shardId-000000000000"})
        return 200, {"FailedRecordCount": failed, "Records": recs}
    return answer


CTL_CONFIG = """\
grpc: {{listen: "127.0.0.1:{port}"}}
metrics: {{listen: "127.0.0.1:{mport}"}}
shutdown_timeout_ms: 2000
devices: [{{id: 42, home_id: 7}}]
dead_letter: {{path: "{dir}/dead.jsonl"}}
modules:
  - id: files
    subscribe_events: ["file"]
    sink: {{type: file, path: "{dir}/files.jsonl"}}
  - id: kin-mixed
    subscribe_events: ["mixed"]
    sink:
      type: kinesis
      stream_name: mixed
      region: us-east-1
      endpoint: "http://127.0.0.1:{kport}"
      linger_ms: 10
      initial_backoff_ms: 10
      max_backoff_ms: 50
      record_ttl_s: 1
  - id: kin-gone
    subscribe_events: ["gone"]
    sink:
      type: kinesis
      stream_name: gone
      region: us-east-1
      endpoint: "http://127.0.0.1:{kport}"
      linger_ms: 10
      initial_backoff_ms: 10
      max_backoff_ms: 50
      record_ttl_s: 1
"""


def case_ctl_dead_lettered(ctx):
    """Bug 2. Modules: files (5 delivered), kin-mixed (a fake Kinesis stores
    4 and refuses 3 for good: 4 delivered, 3 dead-lettered), kin-gone (stream
    not found: 0 delivered, 3 dead-lettered). /metrics is the reference.

    Expected of `streamgate-ctl modules` (today: DELIVERED shows
    records_settled, i.e. delivered + dead-lettered, and there is no
    dead-letter column):
      - a header column whose name contains "DEAD" (e.g. DEAD-LETTERED);
      - per module, the DELIVERED column equals
        streamgate_module_records_delivered_total{module} and the DEAD column
        equals streamgate_module_records_dead_lettered_total{module}.
    The table is parsed by the header's column positions (2+ spaces between
    columns), so order and widths may change; the header must still start
    with MODULE and keep a DELIVERED column."""
    import grpc
    from streamgate.v1 import gateway_pb2 as pb, gateway_pb2_grpc as pbg
    chk = ctx.chk
    fake = FakeKinesis(fake_answer())
    try:
        port, mport = harness.free_port(), harness.free_port()
        gw = ctx.gateway(CTL_CONFIG.format(
            port=port, mport=mport, kport=fake.port, dir=ctx.work), env=AWS_DUMMY)
        ch = ctx.serving(gw, port)
        stub = pbg.GatewayStub(ch)
        load = [("file", "sg-ok", 5), ("mixed", "sg-ok", 4), ("mixed", "sg-bad", 3),
                ("gone", "sg-any", 3)]
        for etype, tag, n in load:
            for i in range(n):
                ev = pb.Event(event_type=etype, home_id=7)
                ev.event_data.update({"tag": "%s-%d" % (tag, i)})
                ev.origin_device_id = 42
                try:
                    stub.PublishEvent(ev, timeout=CALL_TIMEOUT)
                except grpc.RpcError as e:
                    raise Fatal("PublishEvent %s refused: %s %s"
                                % (etype, e.code(), e.details()))
        want = {"files": (5, 0), "kin-mixed": (4, 3), "kin-gone": (0, 3)}

        def settled():
            text = scrape(mport)
            got = {m: (metric(text, "streamgate_module_records_delivered_total",
                              module=m),
                       metric(text, "streamgate_module_records_dead_lettered_total",
                              module=m)) for m in want}
            return text if got == want else None
        text = wait_until(settled, 10, 0.1) or scrape(mport)
        ref = {m: tuple(None if v is None else int(v) for v in (
            metric(text, "streamgate_module_records_delivered_total", module=m),
            metric(text, "streamgate_module_records_dead_lettered_total",
                   module=m))) for m in want}
        print("  /metrics (delivered, dead_lettered): %r" % ref)
        chk.eq(ref, want, "set-up: /metrics delivered / dead-lettered per module "
               "(the reference the ctl output is compared with)")

        rc, out, err = run_ctl(ctx, ["--target", "127.0.0.1:%d" % port, "modules"])
        print("  streamgate-ctl modules (rc %d):\n    %s" % (
            rc, "\n    ".join(out.rstrip("\n").split("\n"))))
        chk.eq(rc, 0, "ctl modules exit code (stderr %r)" % err)
        names, rows = parse_table(out)
        delivered_col = column(names, lambda n: n == "DELIVERED")
        dead_col = column(names, lambda n: "DEAD" in n)
        chk.check(delivered_col is not None,
                  "expected a DELIVERED column in `streamgate-ctl modules`; "
                  "header columns: %r" % names)
        chk.check(dead_col is not None,
                  "expected `streamgate-ctl modules` to show dead-lettered "
                  "records in their own column (a header containing DEAD, e.g. "
                  "DEAD-LETTERED); header columns: %r" % names)
        for m, (d, dl) in ref.items():
            row = rows.get(m)
            if not chk.check(row is not None, "no row for module %s in %r"
                             % (m, out)):
                continue
            if delivered_col:
                got = as_int(row.get(delivered_col))
                chk.check(got == d,
                          "module %s: expected ctl DELIVERED %s = /metrics "
                          "streamgate_module_records_delivered_total (dead "
                          "letters excluded), got %r" % (m, d, row.get(delivered_col)))
            if dead_col:
                got = as_int(row.get(dead_col))
                chk.check(got == dl,
                          "module %s: expected ctl %s %s = /metrics "
                          "streamgate_module_records_dead_lettered_total, got %r"
                          % (m, dead_col, dl, row.get(dead_col)))
        stop(gw)
    finally:
        fake.close()


if __name__ == "__main__":
    sys.exit(run_cases(__doc__, [("ctl_dead_lettered", case_ctl_dead_lettered)]))
