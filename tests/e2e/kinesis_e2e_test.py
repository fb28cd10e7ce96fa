#!/usr/bin/python3
"""End-to-end test of the Kinesis sink through the real streamgate binary.

Usage: /usr/bin/python3 kinesis_e2e_test.py STREAMGATE STREAMGATE_TAIL SOURCE_DIR

Starts a real kinesalite on a free 127.0.0.1 port with two 4-shard streams,
and the gateway with four modules: `kin-ids` (every event and the telemetry
bulk data, id partition keys) -> stream e2e-ids, `kin-uuid` (reading/alarm
events and telemetry, use_uuid) -> stream e2e-uuid, and two file-sink modules
with the same subscriptions as mirrors. Publishes over gRPC 10,000 events from
50 registered devices (two Publish streams with batches, single events and
bulk messages, plus unary PublishEvent), home events, and bulk data (records
and msgpack_payload, up to the 1 MiB record limit). After SIGTERM (the sinks
flush) it reads every shard back with streamgate-tail and with an independent
reader (botocore, else the AWS CLI) and checks: each expected record exactly
once, byte for byte (against lib/oracle.py and against the file mirrors), the
spec's partition key, the shard whose hash-key range holds MD5(key), distinct
UUIDv4 keys with use_uuid, and no dead letters. Exit 0 = pass.
"""

import os
import random
import shutil
import sys
import tempfile
import threading
import time
import traceback
from collections import Counter

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "lib"))
import harness  # noqa: E402
from harness import UUID4, Checker, Fatal, Gateway  # noqa: E402
import kinesis_peer  # noqa: E402
import oracle  # noqa: E402
from oracle import MP_VERSION, mp_array_header, mp_bin, mp_str  # noqa: E402

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

CONFIG = """\
grpc:
  listen: "127.0.0.1:{port}"
shutdown_timeout_ms: 60000
devices:
{devices}
modules:
  - id: kin-ids
    description: every event and telemetry bulk data, id keys
    subscribe_events: ["*"]
    bulk_data_label: telemetry
    sink:
      type: kinesis
      region: us-east-1
      stream_name: {stream_ids}
      endpoint: "{url}"
      linger_ms: 20
      max_in_flight: 4
      dead_letter_path: "{dir}/dead-ids.jsonl"
  - id: file-ids
    subscribe_events: ["*"]
    bulk_data_label: telemetry
    sink: {{type: file, path: "{dir}/file-ids.jsonl"}}
  - id: kin-uuid
    description: readings and alarms, random keys
    subscribe_events: ["reading", "alarm"]
    bulk_data_label: telemetry
    use_uuid: true
    sink:
      type: kinesis
      region: us-east-1
      stream_name: {stream_uuid}
      endpoint: "{url}"
      linger_ms: 20
      max_records: 250
      dead_letter_path: "{dir}/dead-uuid.jsonl"
  - id: file-uuid
    subscribe_events: ["reading", "alarm"]
    bulk_data_label: telemetry
    use_uuid: true
    sink: {{type: file, path: "{dir}/file-uuid.jsonl"}}
"""


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


def check_stream(chk, name, shards, records, uuid_keys, expected, reader):
    """records: [(shard, seq, key, data)] from one reader."""
    label = "%s via %s" % (name, reader)
    shard_ids = {s[0] for s in shards}
    chk.eq(len(shards), SHARDS, "%s: shard count" % label)
    seqs = Counter((r[0], r[1]) for r in records)
    dup = [k for k, n in seqs.items() if n > 1]
    chk.check(not dup, "%s: %d sequence numbers read more than once" %
              (label, len(dup)))
    wrong_shard = 0
    per_shard = Counter()
    unknown = 0
    for shard, _, key, _ in records:
        unknown += shard not in shard_ids
        per_shard[shard] += 1
        if kinesis_peer.shard_for(shards, key) != shard:
            wrong_shard += 1
    chk.eq(unknown, 0, "%s: records on shards ListShards does not list" % label)
    chk.eq(wrong_shard, 0, "%s: records not on the shard owning MD5(key)" %
           label)
    print("  %s: %d records, per shard %s" % (
        label, len(records), dict(sorted(per_shard.items()))), flush=True)
    if uuid_keys:
        keys = [r[2] for r in records]
        bad = [k for k in keys if not UUID4.match(k)]
        chk.check(not bad, "%s: %d keys are not lower-case UUIDv4, e.g. %r" %
                  (label, len(bad), bad[:3]))
        chk.eq(len(set(keys)), len(keys), "%s: distinct UUID keys" % label)
        actual = Counter(r[3] for r in records)
    else:
        actual = Counter((r[2], r[3]) for r in records)
    missing = expected - actual
    extra = actual - expected
    chk.check(not missing, "%s: %d expected records missing, e.g. %r" % (
        label, sum(missing.values()), [str(m)[:200] for m in list(missing)[:3]]))
    chk.check(not extra, "%s: %d unexpected or duplicate records, e.g. %r" % (
        label, sum(extra.values()), [str(m)[:200] for m in list(extra)[:3]]))
    return actual


def run(gateway_bin, tail_bin, src, work, chk):
    import grpc
    kin = kinesis_peer.Kinesalite(src, work)
    kin.start()
    gw = None
    try:
        client = kinesis_peer.KinesisClient(kin.port)
        for s in (STREAM_IDS, STREAM_UUID):
            client.create_stream(s, SHARDS)
        devices = "\n".join("  - {id: %d, home_id: %d, class: \"%s\"}" % (
            d, device_home(d), device_class(d)) for d in range(1, DEVICES + 1))
        port = harness.free_port()
        config = CONFIG.format(port=port, devices=devices, url=kin.url, dir=work,
                               stream_ids=STREAM_IDS, stream_uuid=STREAM_UUID)
        os.environ.update(kinesis_peer.aws_env())  # the gateway inherits it
        gw = Gateway(gateway_bin, work, config, "gw")
        gw.start()
        channel = grpc.insecure_channel("127.0.0.1:%d" % port, options=[
            ("grpc.max_send_message_length", 8 << 20)])
        gw.wait_serving(channel)
        pub = Publisher(channel, chk, gw)
        t0 = time.monotonic()
        sent = publish_everything(pub)
        print("published %d events (+ bulk) in %.1f s; expecting %d records in "
              "%s and %d in %s" % (sent, time.monotonic() - t0,
                                   sum(pub.exp.ids.values()), STREAM_IDS,
                                   sum(pub.exp.uuid.values()), STREAM_UUID),
              flush=True)
        chk.eq(sent, DEVICE_EVENTS + HOME_EVENTS, "events sent")
        channel.close()
        t1 = time.monotonic()
        gw.signal()
        rc = gw.wait_exit(timeout=90)
        print("gateway flushed and exited %d in %.1f s" % (
            rc, time.monotonic() - t1), flush=True)
        chk.eq(rc, 0, "gateway exit code after SIGTERM\n" + gw.stderr_tail())
        gw.close_files()
        for f in ("dead-ids.jsonl", "dead-uuid.jsonl"):
            p = os.path.join(work, f)
            chk.check(not os.path.exists(p) or os.path.getsize(p) == 0,
                      "dead letters written to %s" % f)

        # The file mirrors must hold what the oracle expects, too.
        mirror_ids = Counter((k, d) for _, k, d in harness.read_sink_lines(
            os.path.join(work, "file-ids.jsonl"), chk, "file-ids"))
        uuid_rows = harness.read_sink_lines(
            os.path.join(work, "file-uuid.jsonl"), chk, "file-uuid")
        mirror_uuid = Counter(d for _, _, d in uuid_rows)
        chk.check(mirror_ids == pub.exp.ids, "file-ids mirror differs from the "
                  "oracle (%d vs %d records)" % (sum(mirror_ids.values()),
                                                 sum(pub.exp.ids.values())))
        chk.check(mirror_uuid == pub.exp.uuid, "file-uuid mirror differs from "
                  "the oracle")

        t2 = time.monotonic()
        shards = {s: client.list_shards(s) for s in (STREAM_IDS, STREAM_UUID)}
        reads = {}
        for s in (STREAM_IDS, STREAM_UUID):
            reads[("tail", s)] = kinesis_peer.read_with_tail(tail_bin, kin.url, s)
        print("streamgate-tail read both streams in %.1f s" % (
            time.monotonic() - t2), flush=True)
        what, reader = kinesis_peer.independent_reader()
        if reader is None:
            print("SKIP independent reader: %s" % what, flush=True)
        else:
            t3 = time.monotonic()
            for s in (STREAM_IDS, STREAM_UUID):
                reads[("indep", s)] = reader(kin.url, s)
            print("%s read both streams in %.1f s" % (what, time.monotonic() - t3),
                  flush=True)
        for (who, s), records in sorted(reads.items()):
            reader_name = "streamgate-tail" if who == "tail" else what
            check_stream(chk, s, shards[s], records, s == STREAM_UUID,
                         pub.exp.ids if s == STREAM_IDS else pub.exp.uuid,
                         reader_name)
        if reader is not None:
            for s in (STREAM_IDS, STREAM_UUID):
                chk.check(Counter(reads[("tail", s)]) == Counter(reads[("indep", s)]),
                          "%s: streamgate-tail and %s read different records "
                          "(shard, sequence number, key, data)" % (s, what))
    finally:
        if gw is not None:
            gw.kill()
            gw.close_files()
        kin.stop()


def main():
    if len(sys.argv) != 4:
        print(__doc__)
        return 2
    gateway_bin, tail_bin, src = sys.argv[1:4]
    for b in (gateway_bin, tail_bin):
        if not os.access(b, os.X_OK):
            print("FAIL: %s is not an executable" % b)
            return 1
    work = tempfile.mkdtemp(prefix="streamgate-kinesis-e2e-")
    chk = Checker()
    ok = False
    start = time.monotonic()
    try:
        harness.generate_stubs(src, os.path.join(work, "stubs"))
        run(gateway_bin, tail_bin, src, work, chk)
        ok = not chk.failures
    except Fatal as e:
        print("FATAL: %s" % e, flush=True)
    except Exception:  # noqa: BLE001 - report anything, then fail
        traceback.print_exc()
    print("%d checks passed, %d failed, %.1f s" % (
        chk.passed, len(chk.failures), time.monotonic() - start))
    if ok:
        shutil.rmtree(work, ignore_errors=True)
        print("PASS")
        return 0
    print("FAIL (work dir kept: %s)" % work)
    return 1


if __name__ == "__main__":
    sys.exit(main())
