"""The Python gRPC client tests' model (python_client_test.py,
python_client_burst_test.py): the gateway config with its routing written
out independently of the gateway's logic, what each sink must hold (a
multiset per module, gateway-stamped times matched to the call window),
and a client whose calls report status codes instead of raising.
Single-threaded.
"""

import os
import re
import sys
import tempfile
import time
from collections import Counter

import harness
import oracle
from harness import Fatal, UUID4
from oracle import TS_PLACEHOLDER, render_event

OK, INVALID_ARGUMENT, RESOURCE_EXHAUSTED, UNAVAILABLE = 0, 3, 8, 14
CALL_TIMEOUT = 10.0
MAX_RECORD = 4096
MAX_MESSAGE = 262144
T0 = oracle.utc_seconds(2024, 5, 1, 12, 0, 0)
TS_RE = re.compile(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{3}|\d{6}|\d{9}))?Z$")

# Routing oracle for CONFIG below (kept independent of the gateway's logic).
UUID_MODULES = {"alarms", "telemetry-uuid"}
FILE_MODULES = ["all", "alarms", "logs", "telemetry-uuid"]


def event_modules(event_type):
    mods = ["all"]
    if event_type in ("alarm", "door.open"):
        mods.append("alarms")
    if event_type == "console.only":
        mods.append("console")
    return mods


def bulk_modules(label):
    return {"telemetry": ["all", "telemetry-uuid"], "logs": ["logs"]}.get(
        label, [])


CONFIG = """\
grpc:
  listen: "127.0.0.1:{port}"
  max_message_bytes: {max_message}
limits:
  max_record_bytes: {max_record}
devices:
  - {{id: 42, home_id: 7, class: thermostat}}
  - {{id: 43, home_id: 8, class: "door sensor"}}
modules:
  - id: all
    description: every event and the telemetry bulk data
    subscribe_events: ["*"]
    bulk_data_label: telemetry
    use_uuid: false
    sink: {{type: file, path: "{dir}/sinks/all.jsonl"}}
  - id: alarms
    description: alarms and doors, random keys
    subscribe_events: ["alarm", "door.open"]
    use_uuid: true
    sink: {{type: file, path: "{dir}/sinks/alarms.jsonl"}}
  - id: logs
    bulk_data_label: logs
    sink: {{type: file, path: "{dir}/sinks/nested/deeper/logs.jsonl"}}
  - id: telemetry-uuid
    bulk_data_label: telemetry
    use_uuid: true
    sink: {{type: file, path: "{dir}/sinks/telemetry-uuid.jsonl"}}
  - id: console
    subscribe_events: ["console.only"]
    sink: {{type: stdout}}
"""

SINK_PATHS = {
    "all": "sinks/all.jsonl",
    "alarms": "sinks/alarms.jsonl",
    "logs": "sinks/nested/deeper/logs.jsonl",
    "telemetry-uuid": "sinks/telemetry-uuid.jsonl",
}


def parse_ts_ns(s):
    m = TS_RE.match(s)
    if not m:
        return None
    secs = oracle.calendar.timegm(time.strptime(m.group(1), "%Y-%m-%dT%H:%M:%S"))
    frac = m.group(2) or ""
    return secs * 10**9 + (int(frac.ljust(9, "0")) if frac else 0)


class Expectations:
    """What each module's sink must contain, as a multiset."""

    def __init__(self):
        self.by_module = {}

    def add(self, module, key, data, window=None):
        if module in UUID_MODULES:
            key = "UUID"
        self.by_module.setdefault(module, []).append((key, data, window))

    def event(self, event_type, key, data, window=None):
        for m in event_modules(event_type):
            self.add(m, key, data, window)

    def bulk(self, label, device_id, records):
        for m in bulk_modules(label):
            for r in records:
                self.add(m, str(device_id), r)


def compare_module(chk, module, actual, expected):
    """actual: [(module, key, data)]; expected: [(key, data, window)]."""
    label = "sink %s" % module
    rows = []
    uuids = []
    for mod, key, data in actual:
        chk.eq(mod, module, "%s: module field" % label)
        if module in UUID_MODULES:
            chk.check(UUID4.match(key) is not None,
                      "%s: partition key %r is not a lower-case UUIDv4" %
                      (label, key))
            uuids.append(key)
            key = "UUID"
        rows.append((key, data))
    if uuids:
        chk.eq(len(set(uuids)), len(uuids), "%s: UUID keys unique" % label)
    remaining = Counter(rows)
    templates = []
    for key, data, window in expected:
        if TS_PLACEHOLDER.encode() in data:
            templates.append((key, data, window))
        elif remaining[(key, data)] > 0:
            remaining[(key, data)] -= 1
        else:
            chk.check(False, "%s: missing record key=%r data=%r" %
                      (label, key, data[:300]))
    for key, data, window in templates:
        prefix, suffix = data.split(TS_PLACEHOLDER.encode())
        found = None
        for (akey, adata), n in remaining.items():
            if n > 0 and akey == key and adata.startswith(prefix) and \
                    adata.endswith(suffix) and \
                    len(adata) >= len(prefix) + len(suffix):
                found = (akey, adata)
                break
        if not chk.check(found is not None,
                         "%s: missing stamped-time record key=%r data=%r" %
                         (label, key, data[:300])):
            continue
        remaining[found] -= 1
        ts = found[1][len(prefix):len(found[1]) - len(suffix)].decode()
        ns = parse_ts_ns(ts)
        if chk.check(ns is not None, "%s: stamped timestamp %r is not RFC 3339 "
                     "UTC with 0/3/6/9 fraction digits" % (label, ts)):
            frac = ts[20:-1] if "." in ts else ""
            chk.check(not frac or not frac.endswith("000"),
                      "%s: timestamp %r has more fraction digits than needed"
                      % (label, ts))
            lo, hi = window
            chk.check(lo - 10**6 <= ns <= hi + 10**6,
                      "%s: stamped timestamp %s outside the call window" %
                      (label, ts))
    for (key, data), n in remaining.items():
        for _ in range(n):
            chk.check(False, "%s: unexpected record key=%r data=%r" %
                      (label, key, data[:300]))


class Client:
    def __init__(self, channel, chk, gw=None):
        self.gw = gw
        from streamgate.v1 import gateway_pb2, gateway_pb2_grpc
        from google.protobuf import struct_pb2
        self.pb = gateway_pb2
        self.struct_pb2 = struct_pb2
        self.stub = gateway_pb2_grpc.GatewayStub(channel)
        self.chk = chk

    def make_event(self, e):
        ev = self.pb.Event(event_type=e.get("type", ""),
                           home_id=e.get("home", 0),
                           origin_device_class=e.get("cls", ""),
                           origin_device_ip=e.get("ip", ""))
        if e.get("data") is not None:
            ev.event_data.update(e["data"])
        if e.get("ts") is not None:
            ev.timestamp.seconds, ev.timestamp.nanos = e["ts"]
        if e.get("device") is not None:
            ev.origin_device_id = e["device"]
        return ev

    @staticmethod
    def expected_event(e):
        ts = e.get("ts")
        ts_str = oracle.format_timestamp(*ts) if ts else TS_PLACEHOLDER
        device = e.get("device")
        key = str(device) if device is not None else str(e["exp_home"])
        data = render_event(e["type"], e.get("data"), ts_str, e["exp_home"],
                            device, e.get("exp_cls"), e.get("ip"))
        return key, data

    def unary(self, method, request, what):
        """Returns (code, message, response)."""
        import grpc
        try:
            resp = getattr(self.stub, method)(request, timeout=CALL_TIMEOUT)
            return OK, "", resp
        except grpc.RpcError as err:
            if self.gw is not None and self.gw.proc.poll() is not None:
                raise Fatal("%s: gateway died (exit %s)\n%s" % (
                    what, self.gw.proc.returncode, self.gw.stderr_tail()))
            return err.code().value[0], err.details() or "", None

    def expect_ok(self, method, request, records, what):
        code, msg, resp = self.unary(method, request, what)
        if self.chk.eq(code, OK, "%s: status (message %r)" % (what, msg)):
            self.chk.eq(resp.code, OK, "%s: response code" % what)
            self.chk.eq(resp.records, records, "%s: response records" % what)
        return code == OK

    def expect_error(self, method, request, code, fields, what):
        got, msg, _ = self.unary(method, request, what)
        self.chk.eq(got, code, "%s: status (message %r)" % (what, msg))
        if fields:
            self.chk.check(any(f in msg for f in fields),
                           "%s: message %r does not name %s" %
                           (what, msg, " or ".join(fields)))


def main(doc, name, prefix, scenario):
    """main() of a Python client test, usage SCRIPT STREAMGATE_BINARY
    SOURCE_DIR: generates the stubs in a temporary work dir (prefix
    `prefix`), runs scenario(binary, src, work, checker) and prints the
    verdict. Returns the exit code."""
    if len(sys.argv) != 3:
        print(doc)
        return 2
    binary, src = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
    if not os.access(binary, os.X_OK):
        print("FAIL: gateway binary %s not found or not executable" % binary)
        return 1
    work = tempfile.mkdtemp(prefix=prefix)
    chk = harness.Checker()

    def body():
        harness.generate_stubs(src, os.path.join(work, "stubs"))
        scenario(binary, src, work, chk)
    return harness.run_checks(name, work, chk, body)
