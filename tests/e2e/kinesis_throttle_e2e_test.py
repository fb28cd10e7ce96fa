#!/usr/bin/python3
"""The Kinesis sink at scale, against the project's throttling emulator.

Usage: /usr/bin/python3 kinesis_throttle_e2e_test.py STREAMGATE SOURCE_DIR

Starts lib/throttling_kinesis.py with a 2-shard stream (per shard 1,000
records/s and 1 MiB/s, 1% random InternalFailure, ListShards one shard a
page) and the gateway with one Kinesis module for the bulk label `tele`.
400 registered devices, half of them hashing to each shard, publish
~150-byte records over gRPC for LOAD_S seconds at twice the stream's
capacity (4 threads; a device's calls come from one thread, in order;
RESOURCE_EXHAUSTED is retried). After SIGTERM (the sink flushes) it checks
what the emulator stored: every acknowledged record exactly once and
nothing else, each device's records in the order the gateway acknowledged
them, the map read over two ListShards pages, stored throughput while the
load ran >= 90% of the capacity, and throttled record attempts <= 5% of
the stored records. Ratios only, never times. Exit 0 = pass.
"""

import hashlib
import os
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "lib"))
import harness  # noqa: E402
import kinesis_peer  # noqa: E402
from harness import Checker, Gateway  # noqa: E402
from throttling_kinesis import ThrottlingKinesis  # noqa: E402

STREAM = "at-scale"
SHARDS = 2
PER_SHARD = 1000          # records/s
DEVICES_PER_SHARD = 200
LOAD_S = 8.0
OFFERED = 2 * SHARDS * PER_SHARD   # records/s
RECORDS_PER_CALL = 25
THREADS = 4
RECORD_BYTES = 150
WARM_UP_S = 1.0

CONFIG = """\
grpc:
  listen: "127.0.0.1:{port}"
shutdown_timeout_ms: 120000
devices:
{devices}
modules:
  - id: kin
    bulk_data_label: tele
    queue: {{max_records: 4000}}
    sink:
      type: kinesis
      region: us-east-1
      stream_name: {stream}
      endpoint: "{url}"
      linger_ms: 20
      max_in_flight: 8
      initial_backoff_ms: 50
      max_backoff_ms: 1000
      dead_letter_path: "{dir}/dead.jsonl"
"""


def balanced_devices():
    """Device ids, DEVICES_PER_SHARD hashing into each half of the range."""
    half = 1 << 127
    picked = {0: [], 1: []}
    d = 1
    while min(len(v) for v in picked.values()) < DEVICES_PER_SHARD:
        h = int.from_bytes(hashlib.md5(str(d).encode()).digest(), "big")
        side = 0 if h < half else 1
        if len(picked[side]) < DEVICES_PER_SHARD:
            picked[side].append(d)
        d += 1
    # Interleaved, so any run of calls splits evenly between the shards.
    return [x for pair in zip(picked[0], picked[1]) for x in pair]


def record(device, seq):
    head = b"dev-%d seq %08d " % (device, seq)
    return head + b"x" * (RECORD_BYTES - len(head))


class Load:
    """THREADS publishers; acked[device] lists what the gateway took."""

    def __init__(self, channel, devices, gw):
        from streamgate.v1 import gateway_pb2, gateway_pb2_grpc
        self.pb = gateway_pb2
        self.stub = gateway_pb2_grpc.GatewayStub(channel)
        self.devices = devices
        self.gw = gw
        self.acked = {d: [] for d in devices}
        self.exhausted = 0
        self.errors = []
        self.lock = threading.Lock()

    def publisher(self, t, stop_at):
        import grpc
        mine = self.devices[t::THREADS]
        seq = {d: 0 for d in mine}
        per_thread = OFFERED / THREADS
        start = time.monotonic()
        sent = 0
        i = 0
        while time.monotonic() < stop_at:
            # Paced at the offered rate; a gateway that pushes back slows
            # it down, which is the point.
            ahead = sent / per_thread - (time.monotonic() - start)
            if ahead > 0:
                time.sleep(ahead)
            d = mine[i % len(mine)]
            i += 1
            recs = [record(d, seq[d] + k) for k in range(RECORDS_PER_CALL)]
            while time.monotonic() < stop_at:
                try:
                    resp = self.stub.PublishBulkData(self.pb.BulkData(
                        device_id=d, label="tele", records=recs), timeout=30)
                except grpc.RpcError as err:
                    if err.code() == grpc.StatusCode.RESOURCE_EXHAUSTED:
                        with self.lock:
                            self.exhausted += 1
                        time.sleep(0.02)
                        continue
                    with self.lock:
                        self.errors.append("%s %s" % (err.code(), err.details()))
                    return
                if resp.records == RECORDS_PER_CALL:
                    self.acked[d].extend(recs)
                    seq[d] += RECORDS_PER_CALL
                    sent += RECORDS_PER_CALL
                else:
                    with self.lock:
                        self.errors.append("records=%d" % resp.records)
                break

    def run(self, seconds):
        stop_at = time.monotonic() + seconds
        threads = [threading.Thread(target=self.publisher, args=(t, stop_at))
                   for t in range(THREADS)]
        for th in threads:
            th.start()
        for th in threads:
            th.join()


def run(gateway_bin, work, chk):
    kin = ThrottlingKinesis(stream=STREAM, shards=SHARDS, records_per_s=PER_SHARD,
                            bytes_per_s=1048576, internal_failure=0.01,
                            page_size=1, seed=7)
    gw = None
    try:
        devices = balanced_devices()
        port = harness.free_port()
        config = CONFIG.format(
            port=port, stream=STREAM, url=kin.url, dir=work,
            devices="\n".join("  - {id: %d, home_id: 1, class: meter}" % d
                              for d in devices))
        gw = Gateway(gateway_bin, work, config, "gw", env=kinesis_peer.aws_env())
        gw.start()
        channel = gw.serving_channel(port)
        gw.wait_log("%d open shard(s)" % SHARDS, "the shard map (two pages)")
        load = Load(channel, devices, gw)
        t0 = time.monotonic()
        load.run(LOAD_S)
        t_end = time.monotonic()
        chk.check(not load.errors, "publish errors: %s" % load.errors[:5])
        offered = sum(len(v) for v in load.acked.values())
        print("acknowledged %d records in %.1f s (%d RESOURCE_EXHAUSTED)" % (
            offered, t_end - t0, load.exhausted), flush=True)
        chk.check(load.exhausted > 0 or offered > LOAD_S * SHARDS * PER_SHARD * 1.2,
                  "the load did not exceed the stream's capacity")
        rc = gw.stop(timeout=150)
        chk.eq(rc, 0, "gateway exit code")
        channel.close()
        emu = kin.emulator
        stats = emu.stats()
        print("emulator: %s" % stats, flush=True)

        # Every acknowledged record once, nothing else, in device order.
        stored_by_key = {}
        for shard in emu.shards:
            for key, data in shard.stored:
                stored_by_key.setdefault(key, []).append(data)
        acked_total = 0
        for d, recs in load.acked.items():
            acked_total += len(recs)
            got = stored_by_key.pop(str(d), [])
            if got != recs:
                chk.check(False, "device %d: %d acknowledged, %d stored, order "
                          "kept: %s" % (d, len(recs), len(got),
                                        got == sorted(got)))
                break
        else:
            chk.check(True, "every device's records stored once, in order")
        chk.check(not stored_by_key, "records of unknown keys stored: %s" %
                  list(stored_by_key)[:5])
        stored = sum(s["stored"] for s in stats["shards"])
        chk.eq(stored, acked_total, "records stored")
        chk.check(os.path.getsize(os.path.join(work, "dead.jsonl")) == 0
                  if os.path.exists(os.path.join(work, "dead.jsonl")) else True,
                  "no dead letters")
        chk.check(stats["calls"].get("ListShards", 0) >= 2,
                  "ListShards followed NextToken")

        # The targets: ratios of what the emulator counted.
        first = min(s.store_times[0] for s in emu.shards if s.store_times)
        window = t_end - (first + WARM_UP_S)
        in_window = emu.stored_between(first + WARM_UP_S, t_end)
        ratio = in_window / (window * SHARDS * PER_SHARD)
        throttled = sum(s["throttled"] for s in stats["shards"])
        print("stored %.0f records/s under load = %.1f%% of capacity; throttled "
              "attempts %d = %.2f%% of %d stored" % (
                  in_window / window, 100 * ratio, throttled,
                  100.0 * throttled / max(1, stored), stored), flush=True)
        chk.check(ratio >= 0.90, "stored throughput %.1f%% of capacity < 90%%"
                  % (100 * ratio))
        chk.check(throttled <= 0.05 * stored, "throttled %d > 5%% of %d stored"
                  % (throttled, stored))
        chk.check(stats["shards"][0]["internal_failures"] > 0,
                  "the emulator injected InternalFailures")
    finally:
        if gw is not None:
            gw.kill()
            gw.close_files()
        kin.close()


def main():
    if len(sys.argv) != 3:
        print(__doc__)
        return 2
    gateway_bin, src = sys.argv[1:3]
    work = tempfile.mkdtemp(prefix="streamgate-kinesis-throttle-")
    chk = Checker()
    harness.generate_stubs(src, os.path.join(work, "stubs"))
    return harness.run_checks("kinesis_throttle_e2e", work, chk,
                              lambda: run(gateway_bin, work, chk))


if __name__ == "__main__":
    sys.exit(main())
