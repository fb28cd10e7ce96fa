"""The inputs of python_client_test.py's main scenario, each with the
records it must give (into an Expectations) or the error it must get:
unary events (key order, number forms, registry fills), bulk data in every
MessagePack form, bad inputs of every kind, and one Publish stream mixing
them. Single-threaded.
"""

import random
import time

from oracle import MP_VERSION, mp_array_header, mp_bin, mp_str
from pyclient import (INVALID_ARGUMENT, MAX_MESSAGE, MAX_RECORD, OK,
                      RESOURCE_EXHAUSTED, T0, CALL_TIMEOUT, Client)

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

