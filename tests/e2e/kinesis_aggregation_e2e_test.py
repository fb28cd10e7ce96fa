#!/usr/bin/python3
"""KPL aggregation end to end: gRPC -> streamgate -> kinesalite, read back
and de-aggregated with AWS's own library.

Usage: /usr/bin/python3 kinesis_aggregation_e2e_test.py STREAMGATE
           STREAMGATE_TAIL SOURCE_DIR

Starts kinesalite with a 2-shard and a 4-shard stream and the gateway with
one Kinesis module per stream, both with `aggregation.enabled` (the 2-shard
one at the default max_bytes, the 4-shard one at 4 KiB so every flush makes
many aggregates). Sends 3,000 events from 60 registered devices in order
(one Publish stream, each batch answered before the next is sent), then
SIGTERM (the sinks flush). Reads every shard of both streams and checks,
per stream:
- aws-kinesis-agg (checksums verified) de-aggregates every record; the
  records really are aggregates (far fewer Kinesis records than events),
  each at most max_bytes (data + outer key), the outer key one of its user
  records' keys;
- each event exactly once, byte for byte as the gateway rendered it, keyed
  by its device id, on the shard whose hash-key range holds MD5(key), and
  in the order the device sent its events;
- `streamgate-tail --deaggregate` prints the same user records in the same
  order; no dead letters; the gateway exits 0.
Exit 0 = pass.
"""

import base64
import json
import os
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "lib"))
import harness  # noqa: E402
from harness import Checker, Fatal, Gateway  # noqa: E402
import kinesis_peer  # noqa: E402
import kpl_check  # noqa: E402
import oracle  # noqa: E402

DEVICES = 60
EVENTS = 3000
BATCH = 50
T0 = oracle.utc_seconds(2025, 3, 1, 12, 0, 0)
STREAMS = {"agg-2": (2, 51200), "agg-4": (4, 4096)}  # shards, max_bytes
OK = 0
RESOURCE_EXHAUSTED = 8

CONFIG_HEAD = """\
grpc:
  listen: "127.0.0.1:{port}"
shutdown_timeout_ms: 60000
devices:
{devices}
modules:
"""
MODULE = """\
  - id: kin-{stream}
    subscribe_events: ["*"]
    sink:
      type: kinesis
      region: us-east-1
      stream_name: {stream}
      endpoint: "{url}"
      linger_ms: 50
      dead_letter_path: "{dir}/dead-{stream}.jsonl"
      aggregation: {{enabled: true, max_bytes: {max_bytes}}}
"""


def home_of(device):
    return 1 + device // 10


def event_of(pb, i):
    """Event i (device i % 60 + 1, its n-th event) and the record bytes
    the gateway renders for it (lib/oracle.py)."""
    device = i % DEVICES + 1
    data = {"device": device, "n": i // DEVICES, "pad": "x" * (60 + i % 40)}
    seconds, nanos = T0 + i, (i * 7919) % 1000000000
    ev = pb.Event(event_type="reading", home_id=0)
    ev.origin_device_id = device
    ev.event_data.update(data)
    ev.timestamp.seconds, ev.timestamp.nanos = seconds, nanos
    body = oracle.render_event("reading", data, oracle.format_timestamp(
        seconds, nanos), home_of(device), device, "meter")
    return ev, body


def publish_in_order(stub, pb, chk, gw):
    """Sends the events in batches on one Publish stream; the next batch
    goes only once the previous one is answered OK (RESOURCE_EXHAUSTED is
    sent again first), so every device's events arrive in order."""
    expected = defaultdict(list)  # device -> record bytes, send order
    cond = threading.Condition()
    state = {"next": None, "done": False}

    def requests():
        while True:
            with cond:
                while state["next"] is None and not state["done"]:
                    cond.wait()
                if state["done"]:
                    return
                req, state["next"] = state["next"], None
            yield req

    responses = stub.Publish(requests(), timeout=300)
    rid = 0
    for start in range(0, EVENTS, BATCH):
        made = [event_of(pb, i) for i in range(start, start + BATCH)]
        events = [ev for ev, _ in made]
        for attempt in range(100):
            rid += 1
            with cond:
                state["next"] = pb.PublishRequest(
                    id=rid, batch=pb.EventBatch(events=events))
                cond.notify_all()
            resp = next(responses)
            if resp.code == RESOURCE_EXHAUSTED:
                time.sleep(0.1)
                continue
            chk.eq((resp.id, resp.code, resp.records), (rid, OK, BATCH),
                   "batch at event %d: answer" % start)
            break
        else:
            raise Fatal("batch at event %d refused 100 times" % start)
        if gw.proc.poll() is not None:
            raise Fatal("gateway died: " + gw.stderr_tail())
        for k, (_, body) in enumerate(made):
            expected[(start + k) % DEVICES + 1].append(body)
    with cond:
        state["done"] = True
        cond.notify_all()
    return expected


def check_stream(chk, stream, shards, max_bytes, raw, users, tail_users,
                 expected):
    """expected: {device: [record bytes in send order]}."""
    label = stream
    chk.eq(len(shards), STREAMS[stream][0], "%s: shard count" % label)
    aggregated = [r for r in raw if kpl_check.is_aggregated(r)]
    print("  %s: %d Kinesis records (%d aggregated) for %d user records" % (
        label, len(raw), len(aggregated), len(users)), flush=True)
    chk.check(len(raw) * 5 <= EVENTS, "%s: %d Kinesis records for %d events:"
              " not aggregated" % (label, len(raw), EVENTS))
    by_seq = defaultdict(list)
    for u in users:
        by_seq[(u["shardId"], u["sequenceNumber"])].append(u)
    for r in aggregated:
        size = len(base64.b64decode(r["data"])) + len(
            r["partitionKey"].encode())
        chk.check(size <= max_bytes, "%s: aggregate %s is %d bytes, over %d"
                  % (label, r["sequenceNumber"], size, max_bytes))
        keys = [u["partitionKey"] for u in by_seq[(r["shardId"],
                                                   r["sequenceNumber"])]]
        chk.check(keys and keys[0] == r["partitionKey"],
                  "%s: aggregate %s's key %r is not its first user record's"
                  % (label, r["sequenceNumber"], r["partitionKey"]))
    shard_list = [(sid, lo, hi) for sid, (lo, hi) in shards.items()]
    wrong_shard = [u for u in users if kinesis_peer.shard_for(
        shard_list, u["partitionKey"]) != u["shardId"]]
    chk.check(not wrong_shard, "%s: %d user records not on the shard owning "
              "MD5(key), e.g. %r" % (label, len(wrong_shard), [
                  (u["partitionKey"], u["shardId"]) for u in wrong_shard[:3]]))
    # Per device, in stream order (a device's key lives on one shard).
    got = defaultdict(list)
    for u in users:
        doc = json.loads(u["data"])
        device = doc.get("originDeviceId")
        chk.check(u["partitionKey"] == str(device),
                  "%s: user record of device %r keyed %r" % (
                      label, device, u["partitionKey"]))
        got[device].append(u["data"])
    counts = Counter(u["data"] for u in users)
    dups = [d for d, n in counts.items() if n > 1]
    chk.check(not dups, "%s: %d user records stored more than once" % (
        label, len(dups)))
    chk.eq(len(users), EVENTS, "%s: user records read back" % label)
    out_of_order = []
    for device, datas in expected.items():
        if got.get(device) != datas:
            have = got.get(device, [])
            if Counter(have) == Counter(datas):
                out_of_order.append(device)
            else:
                chk.check(False, "%s: device %d: %d of its %d events read "
                          "back, %d unexpected" % (
                              label, device, len(set(have) & set(datas)),
                              len(datas), len(set(have) - set(datas))))
    chk.check(not out_of_order, "%s: devices whose events are out of order: "
              "%s" % (label, out_of_order[:10]))
    aws_view = [(u["shardId"], u["sequenceNumber"], u["subSequenceNumber"],
                 u["partitionKey"], u["data"]) for u in users]
    chk.check(tail_users == aws_view, "%s: streamgate-tail --deaggregate "
              "and aws-kinesis-agg disagree (%d vs %d user records)" % (
                  label, len(tail_users), len(aws_view)))


def run(gateway_bin, tail_bin, src, work, chk):
    import grpc
    from streamgate.v1 import gateway_pb2 as pb, gateway_pb2_grpc as rpc
    kin = kinesis_peer.Kinesalite(src, work)
    kin.start()
    gw = None
    try:
        client = kinesis_peer.KinesisClient(kin.port)
        for stream, (shards, _) in STREAMS.items():
            client.create_stream(stream, shards)
        port = harness.free_port()
        devices = "\n".join("  - {id: %d, home_id: %d, class: meter}" % (d, home_of(d))
                            for d in range(1, DEVICES + 1))
        config = CONFIG_HEAD.format(port=port, devices=devices) + "".join(
            MODULE.format(stream=s, url=kin.url, dir=work, max_bytes=m)
            for s, (_, m) in STREAMS.items())
        os.environ.update(kinesis_peer.aws_env())  # the gateway inherits it
        gw = Gateway(gateway_bin, work, config, "gw")
        gw.start()
        channel = grpc.insecure_channel("127.0.0.1:%d" % port)
        gw.wait_serving(channel)
        t0 = time.monotonic()
        expected = publish_in_order(rpc.GatewayStub(channel), pb, chk, gw)
        print("published %d events in %.1f s" % (EVENTS, time.monotonic() - t0),
              flush=True)
        channel.close()
        gw.signal()
        rc = gw.wait_exit(timeout=90)
        chk.eq(rc, 0, "gateway exit code after SIGTERM\n" + gw.stderr_tail())
        gw.close_files()
        for stream in STREAMS:
            p = os.path.join(work, "dead-%s.jsonl" % stream)
            chk.check(not os.path.exists(p) or os.path.getsize(p) == 0,
                      "dead letters written for %s" % stream)

        for stream, (_, max_bytes) in STREAMS.items():
            shards, raw = kpl_check.read_raw(client, stream)
            users = kpl_check.deaggregate_with_aws(raw)
            tail_users, tail_err = kpl_check.deaggregate_with_tail(
                tail_bin, kin.url, stream)
            chk.eq(tail_err.strip(), "", "%s: streamgate-tail stderr" % stream)
            check_stream(chk, stream, shards, max_bytes, raw, users,
                         tail_users, expected)
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
    work = tempfile.mkdtemp(prefix="streamgate-kpl-e2e-")
    chk = Checker()
    harness.generate_stubs(src, os.path.join(work, "stubs"))
    return harness.run_checks(
        "kinesis_aggregation_e2e", work, chk,
        lambda: run(gateway_bin, tail_bin, src, work, chk))


if __name__ == "__main__":
    sys.exit(main())
