"""The load of kinesis_e2e_test.py and the records it must give: 10,000
events from 50 registered devices and 300 home events (two Publish streams
with batches, single events and bulk messages, plus unary PublishEvent), and
bulk data (records and msgpack_payload of every form, up to the 1 MiB record
limit), each input with its expected record bytes (lib/oracle.py) per
stream. Publisher.stream may run on several threads (Expected locks).
"""

import random
import threading
import time
from collections import Counter

import oracle
from harness import Fatal
from oracle import MP_VERSION, mp_array_header, mp_bin, mp_str

OK = 0
RESOURCE_EXHAUSTED = 8
CALL_TIMEOUT = 30.0
DEVICES = 50
DEVICE_EVENTS = 10000
HOME_EVENTS = 300
SHARDS = 4
STREAM_IDS = "e2e-ids"
STREAM_UUID = "e2e-uuid"
MAX_RECORD = 1048576   # the gateway's and the sink's default
T0 = oracle.utc_seconds(2024, 6, 1, 8, 0, 0)

UUID_EVENT_TYPES = {"reading", "alarm"}  # kin-uuid / file-uuid subscriptions
BULK_LABEL = "telemetry"                 # both pairs of modules


def device_home(d):
    return (d - 1) // 10 + 1


def device_class(d):
    return ("thermostat", "door sensor", "meter \u00e9")[d % 3]


class Expected:
    """Records each stream must hold: (key, data) for ids, data for uuid."""

    def __init__(self):
        self.ids = Counter()
        self.uuid = Counter()
        self.lock = threading.Lock()

    def event(self, event_type, key, data):
        with self.lock:
            self.ids[(key, data)] += 1
            if event_type in UUID_EVENT_TYPES:
                self.uuid[data] += 1

    def bulk(self, label, device_id, records):
        if label != BULK_LABEL:
            return
        with self.lock:
            for r in records:
                self.ids[(str(device_id), r)] += 1
                self.uuid[r] += 1


class Publisher:
    """Builds the inputs, their expected record bytes, and sends them."""

    def __init__(self, channel, chk, gw):
        from streamgate.v1 import gateway_pb2, gateway_pb2_grpc
        self.pb = gateway_pb2
        self.stub = gateway_pb2_grpc.GatewayStub(channel)
        self.chk = chk
        self.gw = gw
        self.exp = Expected()

    def make_event(self, i, home_event):
        """Event i (a protobuf Event) and (type, key, expected bytes)."""
        rnd = random.Random(i)
        ts = (T0 + i // 7, rnd.choice([0, 1000000 * (i % 1000),
                                       1000 * (i % 999983), i % 999999937]))
        data = {"seq": i, "temp": 15.5 + (i % 91) / 10, "unit": "C"}
        if i % 5 == 0:
            data["tags"] = ["a", i % 3 == 0, None, {"n": i / 4}]
        if i % 11 == 0:
            data["note"] = "caf\u00e9 \u4e2d\u6587 \U0001F600 \"q\" \\ \n"
        if home_event:
            home = 100 + i % 7
            ev = self.pb.Event(event_type="home.summary", home_id=home)
            ev.event_data.update(data)
            ev.timestamp.seconds, ev.timestamp.nanos = ts
            body = oracle.render_event("home.summary", data,
                                       oracle.format_timestamp(*ts), home)
            return ev, ("home.summary", str(home), body)
        device = i % DEVICES + 1
        etype = ("reading", "reading", "reading", "alarm", "status")[i % 5]
        ip = "10.1.%d.%d" % (device, i % 250) if i % 4 == 0 else ""
        ev = self.pb.Event(event_type=etype, home_id=0, origin_device_ip=ip)
        ev.origin_device_id = device
        ev.event_data.update(data)
        ev.timestamp.seconds, ev.timestamp.nanos = ts
        body = oracle.render_event(etype, data, oracle.format_timestamp(*ts),
                                   device_home(device), device,
                                   device_class(device), ip or None)
        return ev, (etype, str(device), body)

    def fail_if_dead(self, what):
        if self.gw.proc.poll() is not None:
            raise Fatal("%s: gateway died (exit %s)\n%s" % (
                what, self.gw.proc.returncode, self.gw.stderr_tail()))

    def call(self, method, request, what):
        """The response, retrying RESOURCE_EXHAUSTED; None after an error."""
        import grpc
        for _ in range(50):
            try:
                return getattr(self.stub, method)(request, timeout=CALL_TIMEOUT)
            except grpc.RpcError as err:
                self.fail_if_dead(what)
                if err.code() == grpc.StatusCode.RESOURCE_EXHAUSTED:
                    time.sleep(0.1)
                    continue
                self.chk.check(False, "%s: %s %s" % (what, err.code(),
                                                     err.details()))
                return None
        self.chk.check(False, "%s: RESOURCE_EXHAUSTED 50 times" % what)
        return None

    def unary_event(self, ev, expect, what):
        resp = self.call("PublishEvent", ev, what)
        if resp is None:
            return
        if self.chk.eq(resp.records, 1, what + ": records"):
            self.exp.event(*expect)

    def unary_bulk(self, kwargs, records, what):
        resp = self.call("PublishBulkData", self.pb.BulkData(**kwargs), what)
        if resp is None:
            return
        if self.chk.eq(resp.records, len(records), what + ": records"):
            self.exp.bulk(kwargs["label"], kwargs["device_id"], records)

    def stream(self, name, items):
        """items: [(kind, payload, expected)] sent on one Publish stream;
        kind is event, batch or bulk. Items answered RESOURCE_EXHAUSTED
        (backpressure, a legal answer) are sent again on a new stream."""
        import grpc
        pending = {}
        for n, (kind, payload, expected) in enumerate(items):
            rid = n + 1
            if kind == "event":
                req = self.pb.PublishRequest(id=rid, event=payload)
                count = 1
            elif kind == "batch":
                req = self.pb.PublishRequest(
                    id=rid, batch=self.pb.EventBatch(events=payload))
                count = len(payload)
            else:
                req = self.pb.PublishRequest(id=rid,
                                             bulk_data=self.pb.BulkData(**payload))
                count = len(expected[2])
            pending[rid] = (req, kind, count, expected)
        for attempt in range(20):
            if not pending:
                break
            if attempt:
                time.sleep(0.2)
            answered = set()
            retry = {}
            try:
                for resp in self.stub.Publish(
                        iter([r[0] for r in pending.values()]), timeout=120):
                    if not self.chk.check(resp.id in pending and
                                          resp.id not in answered,
                                          "%s: unexpected/duplicate id %d" %
                                          (name, resp.id)):
                        continue
                    answered.add(resp.id)
                    req, kind, count, expected = pending[resp.id]
                    if resp.code == RESOURCE_EXHAUSTED:
                        retry[resp.id] = pending[resp.id]
                        continue
                    if not self.chk.eq(resp.code, OK, "%s id %d: code (%s)" %
                                       (name, resp.id, resp.message)):
                        continue
                    self.chk.eq(resp.records, count, "%s id %d: records" %
                                (name, resp.id))
                    if kind == "bulk":
                        self.exp.bulk(*expected)
                    elif kind == "event":
                        self.exp.event(*expected)
                    else:
                        for e in expected:
                            self.exp.event(*e)
            except grpc.RpcError as err:
                self.fail_if_dead(name)
                self.chk.check(False, "%s ended with %s: %s" %
                               (name, err.code(), err.details()))
                return
            self.chk.eq(len(answered), len(pending), "%s: responses" % name)
            if retry:
                print("%s: %d messages answered RESOURCE_EXHAUSTED, sent again"
                      % (name, len(retry)), flush=True)
            pending = retry
        self.chk.check(not pending, "%s: %d messages still refused after 20 "
                       "rounds" % (name, len(pending)))


def bulk_inputs():
    """[(kwargs, records)]: records lists and msgpack payloads of all forms,
    sizes from 0 bytes to the record limit; one label nobody subscribes."""
    rnd = random.Random(77)
    out = []
    for n in range(12):
        device = n % DEVICES + 1
        recs = [bytes(rnd.getrandbits(8) for _ in range(rnd.choice(
            [0, 1, 17, 150, 1000, 4096]))) for _ in range(rnd.randint(1, 30))]
        out.append((dict(device_id=device, label=BULK_LABEL, records=recs),
                    recs))
    for n in range(12):
        device = (n * 7) % DEVICES + 1
        recs = [bytes(rnd.getrandbits(8) for _ in range(rnd.choice(
            [1, 31, 32, 255, 256, 3000]))) for _ in range(rnd.randint(1, 20))]
        if n % 3 == 0:    # back to back bin objects
            payload = MP_VERSION + b"".join(mp_bin(r) for r in recs)
        elif n % 3 == 1:  # one array of bin objects
            form = "fixarray" if len(recs) < 16 else "array16"
            payload = MP_VERSION + mp_array_header(len(recs), form) + \
                b"".join(mp_bin(r) for r in recs)
        else:             # str family (UTF-8 text records)
            recs = [("r%d-%d \u00e9\U0001F600 " % (n, k)).encode() +
                    b"t" * len(r) for k, r in enumerate(recs)]
            payload = MP_VERSION + b"".join(mp_str(r) for r in recs)
        out.append((dict(device_id=device, label=BULK_LABEL,
                         msgpack_payload=payload), recs))
    # Large records: several MiB in a few calls, so requests split by bytes;
    # one record exactly at the limit of the strictest module (data + a
    # 36-character UUID key in kin-uuid/file-uuid).
    big = [bytes([65 + k]) * (400000 + 1000 * k) for k in range(6)]
    out.append((dict(device_id=3, label=BULK_LABEL, records=big[:3]), big[:3]))
    out.append((dict(device_id=4, label=BULK_LABEL,
                     msgpack_payload=MP_VERSION +
                     b"".join(mp_bin(r, "bin32") for r in big[3:])), big[3:]))
    at_limit = bytes(rnd.getrandbits(8) for _ in range(MAX_RECORD - 36))
    out.append((dict(device_id=9, label=BULK_LABEL, records=[at_limit]),
                [at_limit]))
    out.append((dict(device_id=5, label="nobody", records=[b"x"]), [b"x"]))
    return out


def publish_everything(pub):
    # Event index space: device events 0..9999, home events 10000..10299.
    events = [pub.make_event(i, False) for i in range(DEVICE_EVENTS)]
    homes = [pub.make_event(DEVICE_EVENTS + i, True) for i in range(HOME_EVENTS)]
    bulks = bulk_inputs()

    unary_dev, stream_dev = events[:1500], events[1500:]
    unary_home, stream_home = homes[:100], homes[100:]
    # Two Publish streams: batches of 100 (mixing in home events), single
    # events and bulk messages interleaved.
    items = [[], []]
    pos = 0
    h = 0
    b = 0
    n = 0
    while pos < len(stream_dev):
        s = items[n % 2]
        if n % 9 == 4:   # a run of single-event messages
            for ev, e in stream_dev[pos:pos + 25]:
                s.append(("event", ev, e))
            pos += 25
        else:
            chunk = stream_dev[pos:pos + 95] + stream_home[h:h + 5]
            pos += 95
            h += 5
            rnd = random.Random(n)
            rnd.shuffle(chunk)
            s.append(("batch", [c[0] for c in chunk], [c[1] for c in chunk]))
        if n % 4 == 0 and b < 12:
            kwargs, recs = bulks[b]
            s.append(("bulk", kwargs, (kwargs["label"], kwargs["device_id"],
                                       recs)))
            b += 1
        n += 1
    for ev, e in stream_home[h:]:
        items[0].append(("event", ev, e))

    threads = [threading.Thread(target=pub.stream, args=("Publish stream %d" % k,
                                                          items[k]))
               for k in range(2)]
    for t in threads:
        t.start()
    for i, (ev, e) in enumerate(unary_dev + unary_home):
        pub.unary_event(ev, e, "PublishEvent #%d" % i)
    for i, (kwargs, recs) in enumerate(bulks[b:]):
        pub.unary_bulk(kwargs, recs, "PublishBulkData #%d" % i)
    # One byte over that limit: refused whole, nothing of it forwarded.
    import grpc
    try:
        pub.stub.PublishBulkData(pub.pb.BulkData(
            device_id=9, label=BULK_LABEL,
            records=[b"ok", b"\x01" * (MAX_RECORD - 35)]), timeout=CALL_TIMEOUT)
        pub.chk.check(False, "PublishBulkData over the record limit: accepted")
    except grpc.RpcError as err:
        pub.chk.eq(err.code(), grpc.StatusCode.INVALID_ARGUMENT,
                   "PublishBulkData over the record limit: status")
    for t in threads:
        t.join()
    sent = sum(1 for s in items for it in s if it[0] == "event") + \
        sum(len(it[1]) for s in items for it in s if it[0] == "batch") + \
        len(unary_dev) + len(unary_home)
    return sent
