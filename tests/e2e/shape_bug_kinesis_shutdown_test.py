#!/usr/bin/python3
"""Known bug 1 of six, black box (red until it is fixed):
Kinesis records unstored at SIGTERM.

Usage: /usr/bin/python3 shape_bug_kinesis_shutdown_test.py STREAMGATE SOURCE_DIR [--ctl CTL]

kinesis_shutdown_dead_letter: memory-queue Kinesis records unstored at
SIGTERM go to the dead-letter file (sink dead_letter_path, endpoint down;
root dead_letter:, no credentials) and the log gives one count.

Own gateway(s) on free ports, < 20 s, PASS/FAIL, exit 1 if it failed (see
lib/shape_bugs.py); a fixed gateway's new formats: the case's docstring.
"""

import base64
import json
import os
import re
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "lib"))
import harness  # noqa: E402
from harness import Fatal  # noqa: E402
from shape_bugs import (AWS_DUMMY, AWS_VARS, CALL_TIMEOUT, log_lines,  # noqa: E402
                        read_text, run_cases, stop)


# Enough records that the sink's Close (which dead-letters them) takes
# milliseconds: with a handful, today's gateway sometimes wins the race
# between Close and the shutdown deadline and writes them all.
N_CASE1 = 2000
KIN_DL_CONFIG = """\
grpc: {{listen: "127.0.0.1:{port}"}}
shutdown_timeout_ms: 8000
devices: [{{id: 42, home_id: 7}}]
{root_dl}
modules:
  - id: kin
    subscribe_events: ["dl.shutdown"]
    sink:
      type: kinesis
      stream_name: nowhere
      region: us-east-1
      endpoint: "http://127.0.0.1:1"
      connect_timeout_ms: 200
      request_timeout_ms: 500
      initial_backoff_ms: 50
      max_backoff_ms: 200
{sink_dl}"""


def case_kinesis_shutdown_dead_letter(ctx):
    """Bug 1. A Kinesis module with a memory queue, N_CASE1 (2000) events
    accepted over gRPC (Publish stream, batches of 100), none storable
    (variant A: endpoint refuses connections, the sink's own
    `dead_letter_path`; variant B: no AWS credentials at all, the root
    `dead_letter:` section's delivery file), SIGTERM half a second later.

    Expected (README "Dead letters", sinks/kinesis/README.md "Delivery": "At
    shutdown, records not yet stored are dead-lettered with a memory queue"):
      - the dead-letter file has exactly 2000 lines, module "kin", whose
        base64 `data` decode to the 2000 events (each once);
      - the shutdown log gives ONE count for the module: every
        "<N> record(s)" / "<N> records" figure in a line naming the module
        after "shutting down" is 2000 (no "0 records still queued are lost"
        next to "2000 record(s) not yet delivered"), and there is at least
        one ("will be retried" lines are ignored).
    The exit code is printed, not checked."""
    from streamgate.v1 import gateway_pb2 as pb, gateway_pb2_grpc as pbg
    chk = ctx.chk
    home = os.path.join(ctx.work, "empty-home")
    os.makedirs(home, exist_ok=True)
    variants = [
        ("A endpoint down + sink dead_letter_path", "sink-dead.jsonl", "",
         "      dead_letter_path: \"%s\"\n" % os.path.join(ctx.work, "sink-dead.jsonl"),
         dict(AWS_DUMMY)),
        # Give-ups go to the root section's delivery file (issue 15 item 5).
        ("B no credentials + root dead_letter:", "root-dead.jsonl.deliveries",
         "dead_letter: {path: \"%s\"}" % os.path.join(ctx.work, "root-dead.jsonl"),
         "", dict({k: None for k in AWS_VARS}, HOME=home)),
    ]
    for label, dl_name, root_dl, sink_dl, env in variants:
        port = harness.free_port()
        name = "gw" + label[0]
        gw = ctx.gateway(KIN_DL_CONFIG.format(port=port, root_dl=root_dl,
                                              sink_dl=sink_dl), name=name, env=env)
        ch = ctx.serving(gw, port)
        stub = pbg.GatewayStub(ch)
        tags = ["sg1%s-%05d" % (label[0], i) for i in range(N_CASE1)]
        items = []
        for b in range(0, N_CASE1, 100):
            batch = pb.EventBatch()
            for tag in tags[b:b + 100]:
                ev = batch.events.add(event_type="dl.shutdown", home_id=7)
                ev.event_data.update({"tag": tag})
                ev.origin_device_id = 42
            items.append(pb.PublishRequest(id=b, batch=batch))
        answers = list(stub.Publish(iter(items), timeout=CALL_TIMEOUT))
        refused = [(a.id, a.code, a.message) for a in answers if a.code != 0]
        if len(answers) != len(items) or refused:
            raise Fatal("%s: set-up: the %d events were not all accepted: %d "
                        "answers, refused %r" % (label, N_CASE1, len(answers),
                                                 refused[:3]))
        ch.close()
        time.sleep(0.5)  # let the sink take them and fail a first attempt
        t0 = time.monotonic()
        rc = stop(gw)
        print("  [%s] exit code %s after %.1f s" % (label, rc, time.monotonic() - t0))

        path = os.path.join(ctx.work, dl_name)
        raw = read_text(path)
        lines = [ln for ln in raw.split("\n") if ln]
        print("  [%s] dead-letter file %s: %d line(s)%s" % (
            label, dl_name, len(lines), "" if os.path.exists(path) else " (no file)"))
        found, wrong_module = [], []
        for ln in lines:
            try:
                obj = json.loads(ln)
                data = base64.b64decode(obj.get("data", ""))
            except (ValueError, TypeError) as e:
                chk.check(False, "%s: dead-letter line is not JSON with base64 "
                          "data (%s): %r" % (label, e, ln[:300]))
                continue
            if obj.get("module") != "kin":
                wrong_module.append(obj.get("module"))
            m = re.search(rb'"(sg1[AB]-\d{5})"', data)
            if m:
                found.append(m.group(1).decode())
        chk.check(not wrong_module, "%s: dead-letter lines with a module other "
                  "than kin: %r" % (label, wrong_module[:5]))
        missing = sorted(set(tags) - set(found))
        chk.check(len(lines) == len(tags) and sorted(found) == sorted(tags),
                  "%s: expected every one of the %d events accepted before "
                  "SIGTERM (unstored, memory queue) in the dead-letter file %s, "
                  "one line each with its base64 data; found %d line(s), %d "
                  "distinct events, %d missing (first: %r)" % (
                      label, len(tags), dl_name, len(lines), len(set(found)),
                      len(missing), missing[:3]))

        lines = log_lines(gw)
        start = next((i for i, (_, msg, _) in enumerate(lines)
                      if "shutting down" in msg), 0)
        counted = []
        for level, msg, raw_line in lines[start:]:
            if not re.search(r"\bkin\b", msg) or "will be retried" in msg:
                continue
            for n in re.findall(r"(\d+) (?:record\(s\)|records?)\b", msg):
                counted.append((int(n), raw_line))
        for _, ln in counted:
            print("  [%s] log: %s" % (label, ln))
        chk.check(counted and all(n == len(tags) for n, _ in counted),
                  "%s: expected the shutdown log to give one consistent count "
                  "(%d) of module kin's records left undelivered / "
                  "dead-lettered; the counts logged were %r" % (
                      label, len(tags), [n for n, _ in counted]))


if __name__ == "__main__":
    sys.exit(run_cases(__doc__, [("kinesis_shutdown_dead_letter", case_kinesis_shutdown_dead_letter)]))
