#!/usr/bin/python3
"""Known bug 4 of six, black box (red until it is fixed):
requests gRPC cannot parse.

Usage: /usr/bin/python3 shape_bug_unparsable_test.py STREAMGATE SOURCE_DIR [--ctl CTL]

unparsable_request: a request gRPC cannot parse (invalid UTF-8 in a
string, Struct nested past the recursion limit) gets INVALID_ARGUMENT with
a message, a log line and a /metrics counter.

Own gateway(s) on free ports, < 20 s, PASS/FAIL, exit 1 if it failed (see
lib/shape_bugs.py); a fixed gateway's new formats: the case's docstring.
"""

import os
import re
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "lib"))
import harness  # noqa: E402
from shape_bugs import (CALL_TIMEOUT, WARN_LEVELS, log_lines,  # noqa: E402
                        metric_samples, run_cases, scrape, stop, wait_until)


# Protobuf wire format by hand (tests 4): the generated classes refuse to
# build these messages.
def varint(n):
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def field_bytes(number, payload):
    return varint(number << 3 | 2) + varint(len(payload)) + payload


def nested_struct(levels):
    """google.protobuf.Struct {"a": {"a": ... {} }} `levels` Structs deep
    (each level is Struct -> fields map entry -> Value -> struct_value)."""
    s = b""
    for _ in range(levels - 1):
        value = field_bytes(5, s)                       # Value.struct_value
        entry = field_bytes(1, b"a") + field_bytes(2, value)  # map entry
        s = field_bytes(1, entry)                       # Struct.fields
    return s

UNPARSABLE_CONFIG = """\
grpc: {{listen: "127.0.0.1:{port}"}}
metrics: {{listen: "127.0.0.1:{mport}"}}
devices: [{{id: 42, home_id: 7}}]
modules:
  - id: files
    subscribe_events: ["*"]
    sink: {{type: file, path: "{dir}/files.jsonl"}}
"""


def case_unparsable_request(ctx):
    """Bug 4. Two PublishEvent requests gRPC cannot parse, sent as raw
    bytes: event_type = b"\\xff\\xfe" (invalid UTF-8 in a proto3 string), and
    an event_data Struct nested 150 Structs deep (past protobuf's recursion
    limit of 100).

    Expected (today: UNIMPLEMENTED, empty message, nothing logged or
    counted):
      - each call fails with INVALID_ARGUMENT and a non-empty message;
      - a WARN/ERROR log line for them (one naming PublishEvent, or saying
        "pars"/"unparsable"/"deserializ");
      - a /metrics counter: ASSUMED NAME — any family whose name contains
        "unparsable" or "parse" (suggested:
        streamgate_grpc_unparsable_requests_total{rpc="PublishEvent"}), whose
        samples add up to >= 2 (the number sent; labels free)."""
    import grpc
    chk = ctx.chk
    port, mport = harness.free_port(), harness.free_port()
    gw = ctx.gateway(UNPARSABLE_CONFIG.format(port=port, mport=mport, dir=ctx.work))
    ch = ctx.serving(gw, port)
    call = ch.unary_unary("/streamgate.v1.Gateway/PublishEvent",
                          request_serializer=lambda b: b,
                          response_deserializer=lambda b: b)
    home = varint(4 << 3) + varint(7)  # home_id = 7
    requests = [
        ("event_type with invalid UTF-8", field_bytes(1, b"\xff\xfe") + home),
        ("event_data Struct nested 150 deep",
         field_bytes(1, b"deep") + field_bytes(2, nested_struct(150)) + home),
    ]
    # The same bytes with a valid event_type / a shallow Struct are accepted:
    # the hand encoding itself is right.
    ok_requests = [field_bytes(1, b"ok") + home,
                   field_bytes(1, b"deep") + field_bytes(2, nested_struct(5)) + home]
    for i, raw in enumerate(ok_requests):
        try:
            call(raw, timeout=CALL_TIMEOUT)
            chk.check(True, "")
        except grpc.RpcError as e:
            chk.check(False, "set-up: well-formed hand-encoded request %d refused: "
                      "%s %r" % (i, e.code(), e.details()))
    for what, raw in requests:
        try:
            call(raw, timeout=CALL_TIMEOUT)
            code, details = grpc.StatusCode.OK, ""
        except grpc.RpcError as e:
            code, details = e.code(), e.details() or ""
        print("  %s: %s %r" % (what, code, details))
        chk.check(code == grpc.StatusCode.INVALID_ARGUMENT and details.strip(),
                  "%s: expected INVALID_ARGUMENT with a non-empty message, got "
                  "%s %r" % (what, code.name, details))
    ch.close()

    def logged():
        for level, msg, _ in log_lines(gw):
            low = msg.lower()
            if level in WARN_LEVELS and ("publishevent" in low or "pars" in low
                                         or "deserializ" in low):
                return msg
        return None
    line = wait_until(logged, 2)
    print("  log line: %r" % line)
    chk.check(line is not None,
              "expected a WARN/ERROR log line for the unparsable PublishEvent "
              "requests (naming PublishEvent or saying it could not be parsed); "
              "none found")

    text = scrape(mport)
    fams = {}
    for name, labels, value in metric_samples(text):
        if re.search(r"unparsable|parse", name, re.I):
            fams.setdefault(name, []).append((labels, value))
    print("  /metrics families with unparsable/parse: %r" % fams)
    best = max((sum(v for _, v in s) for s in fams.values()), default=None)
    chk.check(best is not None and best >= len(requests),
              "expected a /metrics counter counting unparsable requests (a "
              "family named like streamgate_grpc_unparsable_requests_total, "
              "any name containing 'unparsable' or 'parse') adding up to >= %d; "
              "found %r" % (len(requests), fams))
    stop(gw)


if __name__ == "__main__":
    sys.exit(run_cases(__doc__, [("unparsable_request", case_unparsable_request)]))
