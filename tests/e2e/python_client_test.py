#!/usr/bin/python3
"""End-to-end test of the streamgate binary with Debian's Python gRPC client.

Usage: /usr/bin/python3 python_client_test.py STREAMGATE_BINARY SOURCE_DIR

Starts the real gateway on a free 127.0.0.1 port with file and stdout sinks,
publishes events, bulk data and bad inputs over PublishEvent,
PublishBulkData and the Publish stream, shuts it down with SIGTERM, and then
checks every sink line byte for byte against an independent oracle
(lib/oracle.py). A second gateway is sent SIGTERM during a burst: it must
exit 0 with every acknowledged record in its file. Exit 0 = pass.
"""

import base64
import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from collections import Counter

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "lib"))
import harness  # noqa: E402
from harness import Checker, Fatal, Gateway, UUID4  # noqa: E402
import oracle  # noqa: E402
from oracle import (MP_VERSION, TS_PLACEHOLDER, mp_array_header, mp_bin,  # noqa: E402
                    mp_str, render_event)

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


# ------------------------------------------------------------- scenarios --

RICH = {
    "b": 1, "a": 2, "A": 3, "é": "accent", "\uff21": "fullwidth A",
    "\U0001F600": "emoji key", "": "empty key", "a b": None, "aa": True,
    "z": False,
    "text": "quote \" backslash \\ slash / nl \n tab \t cr \r bs \b ff \f "
            "ctl \x01\x1f del \x7f é 中文 😀 \u2028\u2029 end",
    "nested": {"list": [1, "two", [3.5, {"z": None, "a": False}]],
               "empty_list": [], "empty_obj": {}, "deep": {"x": {"y": {}}}},
}
NUMBERS = [21.0, 0.5, 1e21, 1e-7, 123456789012, -0.0, 1e-6,
           1.7976931348623157e308, 5e-324, 0.1 + 0.2, 1e20, -1.5, 2.0**53,
           1234.5678, -1e-300, 999999999999999999999.0, 0.000001234, 7]


def unary_events(cl, exp, chk):
    events = [
        dict(type="temperature", device=42, home=7, cls="custom-class",
             ip="10.0.0.5", ts=(T0, 0),
             data={"celsius": 21.0, "humidity": 0.5, "ok": True, "note": None},
             exp_home=7, exp_cls="custom-class"),
        # Registry fills home and class.
        dict(type="temperature", device=42, home=0, ts=(T0, 120000000),
             data={"celsius": 19.25}, exp_home=7, exp_cls="thermostat"),
        dict(type="alarm", device=43, home=0, ts=(T0, 1000), data=RICH,
             exp_home=8, exp_cls="door sensor"),
        # Home event, no data, gateway stamps the time.
        dict(type="door.open", home=99, exp_home=99),
        # Unregistered device with an explicit home: no class.
        dict(type="status", device=500, home=3, ts=(T0, 123456789),
             data={"n": {"k": [1, "two"]}}, ip="192.168.1.9", exp_home=3),
        # Event's home wins over the registry's; class from registry.
        dict(type="status", device=42, home=5, ts=(T0, 123456000),
             data={"v": 1}, exp_home=5, exp_cls="thermostat"),
        dict(type="console.only", device=42, home=7, ts=(T0, 0),
             data={"msg": "to stdout"}, exp_home=7, exp_cls="thermostat"),
        dict(type="numbers", home=7, ts=(T0, 5000000),
             data={"n": NUMBERS}, exp_home=7),
        # Before the epoch.
        dict(type="old", home=7, ts=(-1, 500000000), data={}, exp_home=7),
        dict(type="alarm", home=12, ts=(T0 + 86400 * 400, 999999999),
             data={"level": "high"}, exp_home=12),
    ]
    for i, e in enumerate(events):
        key, data = Client.expected_event(e)
        lo = time.time_ns()
        if cl.expect_ok("PublishEvent", cl.make_event(e), 1,
                        "PublishEvent #%d (%s)" % (i, e["type"])):
            exp.event(e["type"], key, data, (lo, time.time_ns()))


def unary_bulk(cl, exp, chk):
    rnd = random.Random(1234)
    blob = bytes(rnd.getrandbits(8) for _ in range(1000))
    cases = []
    recs = [b"\x00\x01\x02\xff", b"hello world", blob, b"\xc1\x90\xa3"]
    cases.append(("records", dict(device_id=42, label="telemetry",
                                  records=recs), recs))
    mp_recs = [b"\x00bin8", bytes(range(256)) * 2, b"bin32 \xff\xfe",
               "fixstr é".encode(), ("str8 " + "x" * 40).encode(),
               ("str16 " + "y" * 300).encode(), "str32 😀".encode()]
    payload = MP_VERSION + mp_bin(mp_recs[0], "bin8") + \
        mp_bin(mp_recs[1], "bin16") + mp_bin(mp_recs[2], "bin32") + \
        mp_str(mp_recs[3], "fixstr") + mp_str(mp_recs[4], "str8") + \
        mp_str(mp_recs[5], "str16") + mp_str(mp_recs[6], "str32")
    cases.append(("msgpack back-to-back", dict(device_id=43, label="telemetry",
                                               msgpack_payload=payload),
                  mp_recs))
    arr = [b"array fix 1", "array fix 2".encode()]
    cases.append(("msgpack fixarray", dict(
        device_id=42, label="logs", msgpack_payload=MP_VERSION +
        mp_array_header(2) + mp_bin(arr[0]) + mp_str(arr[1])), arr))
    arr16 = [b"a16-%d" % i for i in range(20)]
    cases.append(("msgpack array16", dict(
        device_id=42, label="logs", msgpack_payload=MP_VERSION +
        mp_array_header(20, "array16") + b"".join(mp_bin(r) for r in arr16)),
        arr16))
    arr32 = [b"a32"]
    cases.append(("msgpack array32", dict(
        device_id=501, label="telemetry", msgpack_payload=MP_VERSION +
        mp_array_header(1, "array32") + mp_bin(arr32[0], "bin32")), arr32))
    cases.append(("msgpack version only", dict(
        device_id=42, label="telemetry", msgpack_payload=MP_VERSION), []))
    cases.append(("msgpack empty array", dict(
        device_id=42, label="telemetry",
        msgpack_payload=MP_VERSION + mp_array_header(0)), []))
    cases.append(("label nobody subscribes", dict(
        device_id=42, label="nobody", records=[b"x", b"y"]), [b"x", b"y"]))
    at_limit = b"L" * (MAX_RECORD - len("42"))
    cases.append(("record at the size limit", dict(
        device_id=42, label="logs", records=[at_limit]), [at_limit]))
    for what, kwargs, records in cases:
        if cl.expect_ok("PublishBulkData", cl.pb.BulkData(**kwargs),
                        len(records), "PublishBulkData " + what):
            exp.bulk(kwargs["label"], kwargs["device_id"], records)


def bad_msgpack_payloads():
    v = MP_VERSION
    return [
        ("version 2.0", mp_str("2.0") + mp_bin(b"r")),
        ("version missing", mp_bin(b"r")),
        ("int element", v + mp_bin(b"ok") + b"\x05"),
        ("nil element", v + b"\xc0"),
        ("map element", v + b"\x80"),
        ("truncated bin8", v + b"\xc4\x0a" + b"abc"),
        ("truncated bin16 header", v + b"\xc5\x00"),
        ("truncated str32", v + b"\xdb\x00\x00\x00\x10abc"),
        ("trailing after array", v + mp_array_header(1) + mp_bin(b"a") +
         mp_bin(b"b")),
        ("two arrays", v + mp_array_header(1) + mp_bin(b"a") +
         mp_array_header(0)),
        ("array after bins", v + mp_bin(b"a") + mp_array_header(1) +
         mp_bin(b"b")),
        ("int inside array", v + mp_array_header(2) + mp_bin(b"a") + b"\x07"),
        ("nested array", v + mp_array_header(1) + mp_array_header(1) +
         mp_bin(b"a")),
        ("array shorter than header", v + mp_array_header(3) + mp_bin(b"a")),
        ("reserved byte 0xc1", v + b"\xc1"),
    ]


def bad_inputs(cl, chk):
    ev = cl.make_event
    nan_ev = ev(dict(type="t", home=7))
    nan_ev.event_data.update({"x": float("nan")})
    inf_ev = ev(dict(type="t", home=7))
    inf_ev.event_data.update({"l": [1, {"y": float("inf")}]})
    events = [
        ("empty event_type", ev(dict(type="", home=7, data={"bad": 1})),
         ["event_type"]),
        ("home_id 0, unregistered device",
         ev(dict(type="t", home=0, device=999, data={"bad": 2})), ["home_id"]),
        ("home_id 0, home event", ev(dict(type="t", home=0, data={"bad": 3})),
         ["home_id"]),
        ("origin_device_id 0", ev(dict(type="t", home=7, device=0)),
         ["origin_device_id"]),
        ("origin_device_id -5", ev(dict(type="t", home=7, device=-5)),
         ["origin_device_id"]),
        ("NaN in event_data", nan_ev, None),
        ("Infinity in event_data", inf_ev, None),
        ("event over max_record_bytes",
         ev(dict(type="t", home=7, data={"big": "B" * MAX_RECORD})), None),
    ]
    for what, request, fields in events:
        cl.expect_error("PublishEvent", request, INVALID_ARGUMENT, fields,
                        "PublishEvent bad: " + what)
    bulks = [
        ("device_id 0", dict(device_id=0, label="telemetry", records=[b"r"]),
         ["device_id"]),
        ("device_id -1", dict(device_id=-1, label="telemetry", records=[b"r"]),
         ["device_id"]),
        ("empty label", dict(device_id=42, label="", records=[b"r"]),
         ["label"]),
        ("records and msgpack_payload", dict(
            device_id=42, label="telemetry", records=[b"r"],
            msgpack_payload=MP_VERSION + mp_bin(b"m")),
         ["msgpack_payload", "records"]),
        ("record over max_record_bytes", dict(
            device_id=42, label="logs",
            records=[b"ok", b"L" * (MAX_RECORD - len("42") + 1)]), None),
        ("msgpack record over max_record_bytes", dict(
            device_id=42, label="logs", msgpack_payload=MP_VERSION +
            mp_bin(b"ok") + mp_bin(b"L" * (MAX_RECORD - len("42") + 1))),
         None),
    ]
    for what, payload in bad_msgpack_payloads():
        bulks.append(("msgpack " + what, dict(device_id=42, label="telemetry",
                                              msgpack_payload=payload),
                      ["msgpack_payload"]))
    for what, kwargs, fields in bulks:
        cl.expect_error("PublishBulkData", cl.pb.BulkData(**kwargs),
                        INVALID_ARGUMENT, fields, "PublishBulkData bad: " + what)
    # Over grpc.max_message_bytes: refused by gRPC itself.
    cl.expect_error("PublishBulkData", cl.pb.BulkData(
        device_id=42, label="telemetry", records=[b"M" * (MAX_MESSAGE + 10)]),
        RESOURCE_EXHAUSTED, None, "PublishBulkData over max_message_bytes")


def stream(cl, exp, chk):
    pb = cl.pb
    reqs = []     # (request, expected code, fields, records, on_ok)
    e1 = dict(type="stream.event", device=42, home=0, ts=(T0, 250000000),
              data={"via": "stream"}, exp_home=7, exp_cls="thermostat")
    e2 = dict(type="alarm", home=11, data={"via": "stream", "stamped": True},
              exp_home=11)
    batch = [dict(type="batch.item", device=42, home=7,
                  ts=(T0 + i, i * 1000), data={"i": i, "tag": "batch100"},
                  exp_home=7, exp_cls="thermostat") for i in range(100)]
    bad_batch = [dict(type="batch.bad", device=42, home=7, ts=(T0, 0),
                      data={"i": i}) for i in range(5)]
    bad_batch[3]["type"] = ""
    bad_batch0 = [dict(type="batch.bad0", device=999, home=0, ts=(T0, 0)),
                  dict(type="batch.bad0", device=42, home=7, ts=(T0, 0))]
    recs = [b"stream-rec-1", b"\x00\xff"]
    mp = [b"stream-mp-1", b"stream-mp-2"]
    last = dict(type="stream.last", home=7, ts=(T0, 0), data={}, exp_home=7)

    def add(rid, item, code, fields, records, on_ok):
        reqs.append((pb.PublishRequest(id=rid, **item), code, fields, records,
                     on_ok))

    add(7001, {"event": cl.make_event(e1)}, OK, None, 1, [("ev", e1)])
    add(2**64 - 1, {"event": cl.make_event(e2)}, OK, None, 1, [("ev", e2)])
    add(7003, {"bulk_data": pb.BulkData(device_id=43, label="telemetry",
                                        records=recs)},
        OK, None, 2, [("bulk", ("telemetry", 43, recs))])
    add(7004, {"batch": pb.EventBatch(events=[cl.make_event(e)
                                              for e in batch])},
        OK, None, 100, [("ev", e) for e in batch])
    add(7005, {"batch": pb.EventBatch(events=[cl.make_event(e)
                                              for e in bad_batch])},
        INVALID_ARGUMENT, ["events[3]"], 0, [])
    add(7006, {"event": cl.make_event(dict(type="t", home=7, device=-1))},
        INVALID_ARGUMENT, ["origin_device_id"], 0, [])
    add(7007, {"bulk_data": pb.BulkData(
        device_id=42, label="logs", msgpack_payload=MP_VERSION +
        mp_array_header(2) + b"".join(mp_bin(r) for r in mp))},
        OK, None, 2, [("bulk", ("logs", 42, mp))])
    add(7008, {"bulk_data": pb.BulkData(device_id=42, label="",
                                        records=[b"r"])},
        INVALID_ARGUMENT, ["label"], 0, [])
    add(7009, {}, INVALID_ARGUMENT, None, 0, [])
    add(7010, {"batch": pb.EventBatch(events=[cl.make_event(e)
                                              for e in bad_batch0])},
        INVALID_ARGUMENT, ["events[0]"], 0, [])
    add(7011, {"event": cl.make_event(last)}, OK, None, 1, [("ev", last)])
    add(0, {"batch": pb.EventBatch()}, OK, None, 0, [])

    lo = time.time_ns()
    import grpc
    responses = []
    try:
        for resp in cl.stub.Publish(iter([r[0] for r in reqs]),
                                    timeout=CALL_TIMEOUT * 3):
            responses.append(resp)
    except grpc.RpcError as err:
        chk.check(False, "Publish stream ended with %s: %s" %
                  (err.code(), err.details()))
    hi = time.time_ns()
    chk.eq(len(responses), len(reqs), "Publish: number of responses")
    by_id = {}
    for r in responses:
        chk.check(r.id not in by_id, "Publish: id %d answered twice" % r.id)
        by_id[r.id] = r
    for req, code, fields, records, on_ok in reqs:
        what = "Publish id %d" % req.id
        resp = by_id.get(req.id)
        if not chk.check(resp is not None, what + ": no response"):
            continue
        chk.eq(resp.code, code, "%s: code (message %r)" % (what, resp.message))
        if code == OK and resp.code == OK:
            chk.eq(resp.records, records, what + ": records")
            for kind, x in on_ok:
                if kind == "ev":
                    key, data = Client.expected_event(x)
                    exp.event(x["type"], key, data, (lo, hi))
                else:
                    exp.bulk(*x)
        if code != OK:
            chk.check(resp.message != "", what + ": empty error message")
            if fields:
                chk.check(any(f in resp.message for f in fields),
                          "%s: message %r does not name %s" %
                          (what, resp.message, " or ".join(fields)))
            if req.id == 7005:
                chk.check("event_type" in resp.message,
                          "%s: message %r does not name event_type" %
                          (what, resp.message))


def health_and_reflection(channel, chk):
    from e2e_health import health_pb2, health_pb2_grpc
    from e2e_reflection import reflection_pb2, reflection_pb2_grpc
    resp = health_pb2_grpc.HealthStub(channel).Check(
        health_pb2.HealthCheckRequest(service=""), timeout=CALL_TIMEOUT)
    chk.eq(resp.status, health_pb2.HealthCheckResponse.SERVING,
           "health Check(\"\")")
    stub = reflection_pb2_grpc.ServerReflectionStub(channel)
    names = set()
    for r in stub.ServerReflectionInfo(
            iter([reflection_pb2.ServerReflectionRequest(list_services="")]),
            timeout=CALL_TIMEOUT):
        names |= {s.name for s in r.list_services_response.service}
    for want in ("streamgate.v1.Gateway", "grpc.health.v1.Health"):
        chk.check(want in names, "reflection list_services lacks %s (got %s)"
                  % (want, sorted(names)))


def watch_health(channel, seen):
    """Collects health Watch("") statuses until the stream ends."""
    import grpc
    from e2e_health import health_pb2, health_pb2_grpc
    try:
        for r in health_pb2_grpc.HealthStub(channel).Watch(
                health_pb2.HealthCheckRequest(service=""), timeout=60):
            seen.append(r.status)
    except grpc.RpcError:
        pass


def cli_checks(binary, work, chk):
    def run(*args):
        return subprocess.run([binary] + list(args), capture_output=True,
                              text=True, timeout=20)
    r = run("--help")
    chk.eq(r.returncode, 0, "--help exit code")
    chk.check("--config" in r.stdout + r.stderr and
              "--check-config" in r.stdout + r.stderr,
              "--help does not list --config and --check-config")
    r = run("--version")
    chk.eq(r.returncode, 0, "--version exit code")
    chk.check(re.search(r"\d+\.\d+", r.stdout + r.stderr) is not None,
              "--version prints no version: %r" % (r.stdout + r.stderr))
    good = os.path.join(work, "check-good.yaml")
    with open(good, "w") as f:
        f.write(CONFIG.format(port=harness.free_port(), dir=work,
                              max_record=MAX_RECORD, max_message=MAX_MESSAGE))
    r = run("--check-config", good)
    chk.eq(r.returncode, 0, "--check-config on a good config (stderr %r)" %
           r.stderr[-500:])
    bad = os.path.join(work, "check-bad.yaml")
    with open(bad, "w") as f:
        f.write('grpc:\n  listen: "127.0.0.1:1"\nmodules:\n'
                '  - id: lonely_module\n    sink: {type: stdout}\n')
    r = run("--check-config", bad)
    chk.eq(r.returncode, 1, "--check-config on a module with neither "
           "subscribe_events nor bulk_data_label")
    out = r.stdout + r.stderr
    chk.check("lonely_module" in out and
              ("subscribe_events" in out or "bulk_data_label" in out),
              "--check-config error does not name module and field: %r" %
              out[-500:])


def main_scenario(binary, src, work, chk):
    import grpc
    port = harness.free_port()
    gw = Gateway(binary, work, CONFIG.format(
        port=port, dir=work, max_record=MAX_RECORD, max_message=MAX_MESSAGE),
        "main")
    gw.start()
    channel = grpc.insecure_channel("127.0.0.1:%d" % port)
    exp = Expectations()
    try:
        gw.wait_serving(channel)
        cl = Client(channel, chk, gw)
        health_and_reflection(channel, chk)
        unary_events(cl, exp, chk)
        unary_bulk(cl, exp, chk)
        bad_inputs(cl, chk)
        stream(cl, exp, chk)
        seen = []
        watcher = threading.Thread(target=watch_health, args=(channel, seen))
        watcher.start()
        deadline = time.monotonic() + 10
        while not seen and time.monotonic() < deadline:
            time.sleep(0.02)
        gw.signal(signal.SIGTERM)
        rc = gw.wait_exit()
        watcher.join(10)
        chk.eq(rc, 0, "main gateway exit code after SIGTERM")
        chk.check(seen[:1] == [1] and 2 in seen,
                  "health Watch should go SERVING -> NOT_SERVING on SIGTERM, "
                  "saw %s" % seen)
    finally:
        channel.close()
        gw.kill()
        gw.close_files()
    for module in FILE_MODULES:
        actual = harness.read_sink_lines(os.path.join(work, SINK_PATHS[module]),
                                         chk, "sink " + module)
        compare_module(chk, module, actual, exp.by_module.get(module, []))
    actual = harness.read_sink_lines(gw.stdout_path, chk, "stdout sink")
    compare_module(chk, "console", actual, exp.by_module.get("console", []))
    if chk.failures:
        print(gw.stderr_tail(60))


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


def main():
    if len(sys.argv) != 3:
        print(__doc__)
        return 2
    binary, src = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
    if not os.access(binary, os.X_OK):
        print("FAIL: gateway binary %s not found or not executable" % binary)
        return 1
    work = tempfile.mkdtemp(prefix="streamgate-e2e-py-")
    chk = Checker()
    try:
        harness.generate_stubs(src, os.path.join(work, "stubs"))
        cli_checks(binary, work, chk)
        main_scenario(binary, src, work, chk)
        burst_scenario(binary, work, chk)
    except Fatal as err:
        chk.check(False, str(err))
    except Exception:  # any other crash of the test itself is a failure
        chk.check(False, "test crashed:\n" + traceback.format_exc())
    finally:
        if not chk.failures:
            shutil.rmtree(work, ignore_errors=True)
    if chk.failures:
        print("\npython_client_test: %d FAILED, %d passed (work dir kept: %s)"
              % (len(chk.failures), chk.passed, work))
        return 1
    print("python_client_test: all %d checks passed" % chk.passed)
    return 0


if __name__ == "__main__":
    sys.exit(main())
