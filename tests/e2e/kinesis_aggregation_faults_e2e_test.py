#!/usr/bin/python3
"""KPL aggregation under throttling and failures: every event once, in
device order, on its key's shard.

Usage: /usr/bin/python3 kinesis_aggregation_faults_e2e_test.py STREAMGATE
           SOURCE_DIR

The gateway (aggregation on, 8 KiB aggregates, ordering per_key) sends the
3,000 events from 60 devices of kinesis_aggregation_e2e_test.py to the
project's throttling emulator (lib/throttling_kinesis.py): 2 shards of 20
records/s and 64 KiB/s each, so aggregates are throttled, and 10% of the
records answered InternalFailure, so aggregates are retried. After SIGTERM
the gateway must exit 0 with no dead letter, and what each shard stored,
de-aggregated by aws-kinesis-agg, must hold every event exactly once, keyed
by its device, on the shard owning its key, in the order each device sent
them: a failed aggregate is retried as a unit and a key's records out are
in one aggregate. Exit 0 = pass.
"""

import base64
import os
import sys
import tempfile
import time
from collections import Counter, defaultdict

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "lib"))
sys.path.insert(0, HERE)
import harness  # noqa: E402
from harness import Checker, Gateway  # noqa: E402
import kinesis_peer  # noqa: E402
import kpl_check  # noqa: E402
from kinesis_aggregation_e2e_test import (DEVICES, EVENTS, home_of,  # noqa: E402
                                          publish_in_order)
from throttling_kinesis import ThrottlingKinesis  # noqa: E402

STREAM = "agg-faults"
SHARDS = 2

CONFIG = """\
grpc:
  listen: "127.0.0.1:{port}"
shutdown_timeout_ms: 120000
devices:
{devices}
modules:
  - id: kin
    subscribe_events: ["*"]
    sink:
      type: kinesis
      region: us-east-1
      stream_name: {stream}
      endpoint: "{url}"
      linger_ms: 20
      initial_backoff_ms: 20
      max_backoff_ms: 500
      dead_letter_path: "{dir}/dead.jsonl"
      aggregation: {{enabled: true, max_bytes: 8192}}
"""


def run(gateway_bin, src, work, chk):
    import grpc
    from streamgate.v1 import gateway_pb2 as pb, gateway_pb2_grpc as rpc
    kin = ThrottlingKinesis(stream=STREAM, shards=SHARDS, records_per_s=20,
                            bytes_per_s=65536, internal_failure=0.1,
                            page_size=1, seed=11)
    gw = None
    try:
        port = harness.free_port()
        devices = "\n".join("  - {id: %d, home_id: %d, class: meter}" % (
            d, home_of(d)) for d in range(1, DEVICES + 1))
        config = CONFIG.format(port=port, devices=devices, stream=STREAM,
                               url=kin.url, dir=work)
        gw = Gateway(gateway_bin, work, config, "gw", env=kinesis_peer.aws_env())
        gw.start()
        channel = grpc.insecure_channel("127.0.0.1:%d" % port)
        gw.wait_serving(channel)
        gw.wait_log("%d open shard(s)" % SHARDS, "the shard map")
        t0 = time.monotonic()
        expected = publish_in_order(rpc.GatewayStub(channel), pb, chk, gw)
        channel.close()
        gw.signal()
        rc = gw.wait_exit(timeout=150)
        print("published and stored in %.1f s" % (time.monotonic() - t0),
              flush=True)
        chk.eq(rc, 0, "gateway exit code after SIGTERM\n" + gw.stderr_tail())
        gw.close_files()
        dead = os.path.join(work, "dead.jsonl")
        chk.check(not os.path.exists(dead) or os.path.getsize(dead) == 0,
                  "dead letters written")
        stats = kin.emulator.stats()
        throttled = sum(s["throttled"] for s in stats["shards"])
        failed = sum(s["internal_failures"] for s in stats["shards"])
        print("emulator: %s" % stats["shards"], flush=True)
        chk.check(throttled > 0, "no Kinesis record was throttled: the test "
                  "did not exercise retries of aggregates")
        chk.check(failed > 0, "no InternalFailure was answered")

        raw = []
        shard_list = []
        for s in kin.emulator.shards:
            shard_list.append((s.shard_id, s.start, s.end))
            for n, (key, data) in enumerate(s.stored):
                raw.append({"shardId": s.shard_id, "sequenceNumber": str(n),
                            "partitionKey": key,
                            "data": base64.b64encode(data).decode()})
        users = kpl_check.deaggregate_with_aws(raw)
        aggregated = sum(1 for r in raw if kpl_check.is_aggregated(r))
        print("%d Kinesis records stored (%d aggregated) for %d user records"
              % (len(raw), aggregated, len(users)), flush=True)
        chk.check(aggregated * 2 >= len(raw), "most stored records are not "
                  "aggregates")
        wrong = [u for u in users if kinesis_peer.shard_for(
            shard_list, u["partitionKey"]) != u["shardId"]]
        chk.eq(len(wrong), 0, "user records not on their key's shard")
        counts = Counter(u["data"] for u in users)
        chk.eq(sum(1 for n in counts.values() if n > 1), 0,
               "user records stored more than once")
        chk.eq(len(users), EVENTS, "user records stored")
        got = defaultdict(list)
        for u in users:
            got[u["partitionKey"]].append(u["data"])
        first_bad = None
        for device, datas in expected.items():
            have = got.get(str(device), [])
            if Counter(have) != Counter(datas):
                chk.check(False, "device %d: %d of %d events stored" % (
                    device, len(set(have) & set(datas)), len(datas)))
            else:
                chk.check(have == datas, "device %d: events out of order"
                          % device)
                if have != datas and first_bad is None:
                    first_bad = device
        if first_bad is not None:
            explain_disorder(first_bad, expected, raw, users, work)
    finally:
        if gw is not None:
            gw.kill()
            gw.close_files()
        kin.close()


def explain_disorder(device, expected, raw, users, work):
    """Prints, for `device`, its events as stored (send index, shard,
    Kinesis record position, aggregated or plain, the record's user count)
    and writes every stored Kinesis record's contents to
    WORK/stored_records.txt."""
    index = {data: i for i, data in enumerate(expected[device])}
    per_record = Counter((u["shardId"], u["sequenceNumber"]) for u in users)
    print("device %d: stored order (send index @ shard/record#, agg: user "
          "records in that Kinesis record, plain):" % device, flush=True)
    for u in users:
        if u["partitionKey"] != str(device):
            continue
        key = (u["shardId"], u["sequenceNumber"])
        print("  #%-3d @ %s/%s %s" % (
            index[u["data"]], u["shardId"][-1], u["sequenceNumber"],
            "agg:%d sub %s" % (per_record[key], u["subSequenceNumber"])
            if u["aggregated"] else "plain"), flush=True)
    send_index = {}
    for d, datas in expected.items():
        for i, data in enumerate(datas):
            send_index[data] = "%d#%d" % (d, i)
    path = os.path.join(work, "stored_records.txt")
    with open(path, "w") as f:
        for r in raw:
            members = [send_index.get(u["data"], "?") for u in users
                       if (u["shardId"], u["sequenceNumber"]) ==
                       (r["shardId"], r["sequenceNumber"])]
            f.write("%s/%s %s key=%s: %s\n" % (
                r["shardId"][-1], r["sequenceNumber"],
                "agg" if kpl_check.is_aggregated(r) else "plain",
                r["partitionKey"], " ".join(members)))
    print("every stored Kinesis record (device#send index): %s" % path,
          flush=True)


def main():
    if len(sys.argv) != 3:
        print(__doc__)
        return 2
    gateway_bin, src = sys.argv[1:3]
    work = tempfile.mkdtemp(prefix="streamgate-kpl-faults-")
    chk = Checker()
    harness.generate_stubs(src, os.path.join(work, "stubs"))
    return harness.run_checks("kinesis_aggregation_faults_e2e", work, chk,
                              lambda: run(gateway_bin, src, work, chk))


if __name__ == "__main__":
    sys.exit(main())
