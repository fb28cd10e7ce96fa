"""What the examples/ tests (tests/e2e/examples_*_test.py) expect: the
records a simulator run must give (following the numbering documented in
tools/sim/message_source.cc), the Python client's inputs with their exact
record bytes, and the comparisons. Functions of an examples_env.Env;
single-threaded.
"""

import collections
import json
import re


TS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{3}|\.\d{6}|\.\d{9})?Z$")
# 2024-05-01T12:00:00Z
T0 = 1714564800
# docs/product.md section 3: the records "abc" and 00, in both forms.
MSGPACK_STREAM = bytes.fromhex("a3312e30" "c403616263" "c40100")
MSGPACK_ARRAY = bytes.fromhex("a3312e30" "92" "c403616263" "c40100")


def canon(value):
    return json.dumps(value, sort_keys=True, separators=(",", ":"))


def sim_flags(argv):
    """--name value / --name=value flags of a simulator command line
    (names with - or _, as the simulator accepts)."""
    out = {}
    i = 1
    while i < len(argv):
        a = argv[i]
        if a.startswith("--"):
            name, eq, value = a[2:].partition("=")
            name = name.replace("_", "-")
            if not eq:
                value = argv[i + 1] if i + 1 < len(argv) else ""
                i += 1
            out[name] = value
        i += 1
    return out


def ts(seconds, nanos=0):
    from google.protobuf import timestamp_pb2
    return timestamp_pb2.Timestamp(seconds=seconds, nanos=nanos)


def publish_known(env, addr):
    """The Python client's inputs and the records they must give:
    {"console"/"alarms"/...: Counter of (key or "<uuid>", data)}."""
    import grpc
    from streamgate.v1 import gateway_pb2 as pb, gateway_pb2_grpc as rpc
    channel = grpc.insecure_channel(addr)
    stub = rpc.GatewayStub(channel)
    try:
        e1 = pb.Event(event_type="temperature", origin_device_id=1,
                      timestamp=ts(T0, 250000000))
        e1.event_data.update({"sensor": "hall", "celsius": 21.5})
        e2 = pb.Event(event_type="alarm", home_id=7, timestamp=ts(T0 + 1))
        e2.event_data.update({"level": 3})
        calls = [
            ("event from device 1", lambda: stub.PublishEvent(e1, timeout=10)),
            ("home alarm", lambda: stub.PublishEvent(e2, timeout=10)),
            ("bulk, MessagePack back to back", lambda: stub.PublishBulkData(
                pb.BulkData(device_id=3, label="telemetry",
                            msgpack_payload=MSGPACK_STREAM), timeout=10)),
            ("bulk, MessagePack array", lambda: stub.PublishBulkData(
                pb.BulkData(device_id=3, label="telemetry",
                            msgpack_payload=MSGPACK_ARRAY), timeout=10)),
            ("bulk, unrouted label", lambda: stub.PublishBulkData(
                pb.BulkData(device_id=3, label="other", records=[b"x"]),
                timeout=10)),
        ]
        for what, call in calls:
            try:
                resp = call()
                env.check.eq(resp.code, 0, "python client, %s: code" % what)
            except grpc.RpcError as e:
                env.check.check(False, "python client, %s: %s %s" % (
                    what, e.code(), e.details()))
    finally:
        channel.close()
    ev1 = (b'{"eventType":"temperature","eventData":{"celsius":21.5,'
           b'"sensor":"hall"},"timestamp":"2024-05-01T12:00:00.250Z",'
           b'"homeId":7,"originDeviceId":1,"originDeviceClass":"thermostat"}')
    ev2 = (b'{"eventType":"alarm","eventData":{"level":3},'
           b'"timestamp":"2024-05-01T12:00:01Z","homeId":7}')
    return collections.Counter([("1", ev1), ("7", ev2), ("3", b"abc"),
                                ("3", b"\x00"), ("3", b"abc"), ("3", b"\x00")]), ev2


def split_records(env, what, records, known, registry):
    """Takes the known records (a Counter of (key, data)) out of `records`
    [(key, data)], and sorts the rest into simulator events and bulk
    records. Returns (events Counter, bulk Counter)."""
    left = collections.Counter(known)
    events, bulk = collections.Counter(), collections.Counter()
    for i, (key, data) in enumerate(records):
        if left[(key, data)] > 0:
            left[(key, data)] -= 1
            continue
        if data.startswith(b"{"):
            e = check_sim_event(env, "%s record %d" % (what, i), key, data,
                                registry)
            if e:
                events[e] += 1
        else:
            bulk[(key, data)] += 1
    env.check.check(not +left, "%s: the Python client's records missing: %r"
                    % (what, list((+left).items())))
    return events, bulk


def sim_model(env, argv, messages):
    """(Counter of (key, eventType, eventData JSON), Counter of (key,
    record bytes)): what `messages` messages of this simulator run are,
    following the numbering documented in tools/sim/message_source.cc."""
    opts = sim_flags(argv)
    devices = int(opts.get("devices", 10))
    first = int(opts.get("first-device-id", 1))
    label = opts.get("bulk-label", "")
    k_records = int(opts.get("bulk-records", 4))
    rec_bytes = int(opts.get("bulk-record-bytes", 32))
    templates = env.templates if opts.get("events") else []
    both = bool(label) and bool(templates)
    events, bulk = collections.Counter(), collections.Counter()
    for m in range(messages):
        is_bulk = (m % 2 == 1) if both else not templates
        k = m // 2 if both else m
        device = first + k % devices
        if is_bulk:
            for j in range(k_records):
                r = ("device %d bulk %d record %d " % (device, k, j)).encode()
                r = r[:rec_bytes].ljust(rec_bytes, b".")
                bulk[(str(device), r)] += 1
        else:
            t = templates[k % len(templates)]
            events[(str(device), t["eventType"],
                    canon(t.get("eventData", {})))] += 1
    return events, bulk


def check_sim_event(env, what, key, data, registry):
    """A simulator event record: MODE JSON, key order, registry values.
    Returns its (key, eventType, eventData) or None."""
    try:
        obj = json.loads(data)
        keys = [k for k, _ in json.loads(
            data, object_pairs_hook=lambda p: p)]
    except ValueError:
        env.check.check(False, "%s: not JSON: %r" % (what, data[:200]))
        return None
    device = obj.get("originDeviceId")
    home, cls = registry.get(device, (None, None))
    env.check.eq(keys, ["eventType", "eventData", "timestamp", "homeId",
                         "originDeviceId", "originDeviceClass"],
                  "%s: keys" % what)
    env.check.check(TS.match(str(obj.get("timestamp"))) is not None,
                     "%s: timestamp %r" % (what, obj.get("timestamp")))
    env.check.eq(key, str(device), "%s: partition key = device id" % what)
    env.check.eq(obj.get("homeId"), home, "%s: homeId from the registry"
                  % what)
    env.check.eq(obj.get("originDeviceClass"), cls,
                  "%s: originDeviceClass from the registry" % what)
    return (key, obj.get("eventType"), canon(obj.get("eventData")))


def compare_sim(env, what, got_events, got_bulk, want_events, want_bulk,
                at_least=False):
    if at_least:
        missing_e = want_events - got_events
        missing_b = want_bulk - got_bulk
        env.check.check(not missing_e and not missing_b,
                         "%s: acknowledged records missing: %d events, "
                         "%d bulk records (e.g. %r)" % (
                             what, sum(missing_e.values()),
                             sum(missing_b.values()),
                             list((missing_e + missing_b).items())[:3]))
        return
    env.check.check(got_events == want_events,
                     "%s: events differ: missing %r, unexpected %r" % (
                         what, list((want_events - got_events).items())[:5],
                         list((got_events - want_events).items())[:5]))
    env.check.check(got_bulk == want_bulk,
                     "%s: bulk records differ: missing %r, unexpected %r" % (
                         what, list((want_bulk - got_bulk).items())[:5],
                         list((got_bulk - want_bulk).items())[:5]))
