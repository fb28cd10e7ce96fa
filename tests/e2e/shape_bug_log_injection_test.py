#!/usr/bin/python3
"""Known bug 5 of six, black box (red until it is fixed):
client strings forging log lines or a module's state.

Usage: /usr/bin/python3 shape_bug_log_injection_test.py STREAMGATE SOURCE_DIR [--ctl CTL]

log_injection: a client string with "module 'X'" or a newline
neither lands in module X's log / state nor forges a stderr line.

Own gateway(s) on free ports, < 20 s, PASS/FAIL, exit 1 if it failed (see
lib/shape_bugs.py); a fixed gateway's new formats: the case's docstring.
"""

import os
import re
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "lib"))
import harness  # noqa: E402
from shape_bugs import (CALL_TIMEOUT, column, parse_table, read_text,  # noqa: E402
                        run_cases, run_ctl, stop)


FORGED_TS = "2026-01-01T00:00:00.000Z"
FORGED = "x module 'files': boom\n%s error module 'files': forged" % FORGED_TS
INJECT_CONFIG = """\
grpc: {{listen: "127.0.0.1:{port}"}}
devices: [{{id: 42, home_id: 7}}]
modules:
  - id: files
    subscribe_events: ["*"]
    bulk_data_label: telemetry
    sink: {{type: file, path: "{dir}/files.jsonl"}}
  - id: other
    subscribe_events: ["other"]
    sink: {{type: file, path: "{dir}/other.jsonl"}}
"""


def case_log_injection(ctx):
    """Bug 5. The client string
    "x module 'files': boom\\n2026-01-01T00:00:00.000Z error module 'files': forged"
    sent as an event_type (rejected unary event, rejected stream item,
    accepted event) and as a bulk label (rejected, bad MessagePack: today's
    log line quotes the label).

    Expected:
      - module files' log (Admin GetModuleLog and `streamgate-ctl logs files`)
        holds nothing of it ("boom" / "forged");
      - `streamgate-ctl modules` (and ListModules) still show files "running"
        with 0 errors and no last error;
      - no stderr line starts with the forged timestamp, and wherever "boom"
        is logged it is followed by an escaped newline (\\n, \\x0a, \\u000a or
        \\012), not a line break. (If the string is never logged at all,
        that part passes.)"""
    import grpc
    from streamgate.v1 import gateway_pb2 as pb, gateway_pb2_grpc as pbg
    from streamgate.v1 import admin_pb2 as apb, admin_pb2_grpc as apbg
    chk = ctx.chk
    port = harness.free_port()
    gw = ctx.gateway(INJECT_CONFIG.format(port=port, dir=ctx.work))
    ch = ctx.serving(gw, port)
    stub = pbg.GatewayStub(ch)
    admin = apbg.AdminStub(ch)

    def attempt(fn, what):
        try:
            fn()
            return "OK"
        except grpc.RpcError as e:
            return "%s %s" % (e.code().name, e.details())
    bad_event = pb.Event(event_type=FORGED, home_id=-1)
    good_event = pb.Event(event_type=FORGED, home_id=7)
    good_event.origin_device_id = 42
    results = {
        "unary event (home_id -1)": attempt(
            lambda: stub.PublishEvent(bad_event, timeout=CALL_TIMEOUT), ""),
        "accepted event": attempt(
            lambda: stub.PublishEvent(good_event, timeout=CALL_TIMEOUT), ""),
        "bulk label (bad MessagePack)": attempt(
            lambda: stub.PublishBulkData(pb.BulkData(
                device_id=42, label=FORGED, msgpack_payload=b"\xa3not-a-map"),
                timeout=CALL_TIMEOUT), ""),
        "stream item": attempt(lambda: list(stub.Publish(iter([
            pb.PublishRequest(id=55, event=bad_event)]), timeout=CALL_TIMEOUT)), ""),
    }
    for k, v in results.items():
        print("  %s: %s" % (k, v.replace("\n", "\\n")[:160]))
    time.sleep(0.3)

    resp = admin.GetModuleLog(apb.GetModuleLogRequest(module_id="files"),
                              timeout=CALL_TIMEOUT)
    leaked = [e.message for e in resp.entries
              if "boom" in e.message or "forged" in e.message]
    for m in leaked:
        print("  files log entry: %r" % m[:200])
    chk.check(not leaked, "expected module files' log (GetModuleLog) to hold "
              "nothing of the client string naming module 'files'; it holds %r"
              % leaked)
    target = ["--target", "127.0.0.1:%d" % port]
    rc, out, err = run_ctl(ctx, target + ["logs", "files"])
    chk.check(rc == 0 and "boom" not in out and "forged" not in out,
              "expected `streamgate-ctl logs files` to show nothing of the "
              "client string; rc %d, output %r" % (rc, out[:500]))
    rc, out, err = run_ctl(ctx, target + ["modules"])
    print("  streamgate-ctl modules:\n    %s" % "\n    ".join(
        out.rstrip("\n").split("\n")))
    names, rows = parse_table(out)
    row = rows.get("files", {})
    state_col = column(names, lambda n: n == "STATE")
    err_col = column(names, lambda n: n.startswith("ERROR"))
    chk.check(row.get(state_col) == "running" and row.get(err_col) == "0"
              and "files last error" not in out,
              "expected `streamgate-ctl modules` to show module files running "
              "with 0 errors and no last error (a client string cannot mark it "
              "failing); got state %r, errors %r, output %r"
              % (row.get(state_col), row.get(err_col), out[-400:]))
    lm = admin.ListModules(apb.ListModulesRequest(), timeout=CALL_TIMEOUT)
    f = next((m for m in lm.modules if m.id == "files"), None)
    chk.check(f is not None and f.state == "running" and not f.last_error
              and f.counters.errors_logged == 0,
              "expected ListModules files: running, no last_error, 0 errors; "
              "got %r" % ((None if f is None else (f.state, f.last_error[:200],
                                                    f.counters.errors_logged)),))
    ch.close()
    stop(gw)

    text = read_text(gw.stderr_path)
    forged = [ln for ln in text.split("\n") if ln.startswith(FORGED_TS)]
    for ln in forged:
        print("  forged stderr line: %r" % ln)
    chk.check(not forged, "expected no stderr line starting with the forged "
              "timestamp %s (control characters in logged client strings "
              "escaped); found %r" % (FORGED_TS, forged))
    unescaped = []
    for ln in text.split("\n"):
        for m in re.finditer("boom", ln):
            after = ln[m.end():]
            if not re.match(r"(\\n|\\x0a|\\u000a|\\012)", after, re.I):
                unescaped.append(ln)
    chk.check(not unescaped, "expected every logged copy of the client string "
              "to show its newline escaped (boom\\n2026-...); these lines end "
              "or go on unescaped: %r" % unescaped)


if __name__ == "__main__":
    sys.exit(run_cases(__doc__, [("log_injection", case_log_injection)]))
