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
UUIDv4 keys with use_uuid, and no dead letters. The load and the
expected records: lib/kinesis_load.py. Exit 0 = pass.
"""

import os
import shutil
import sys
import tempfile
import time
import traceback
from collections import Counter

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "lib"))
import harness  # noqa: E402
from harness import UUID4, Checker, Fatal, Gateway  # noqa: E402
import kinesis_peer  # noqa: E402
from kinesis_load import (DEVICE_EVENTS, DEVICES, HOME_EVENTS, SHARDS,  # noqa: E402
                          STREAM_IDS, STREAM_UUID, Publisher, device_class,
                          device_home, publish_everything)

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
