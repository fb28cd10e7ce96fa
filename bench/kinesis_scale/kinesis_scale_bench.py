#!/usr/bin/python3
"""Kinesis at scale: what the sink stores per shard when offered more than a
stream takes, and how often the stream throttles it (issue 12).

Usage: bench/kinesis_scale/kinesis_scale_bench.py [--build-dir build]
           [--shards 2] [--duration 20] [--warm-up 3] [--devices 1000]
           [--event-bytes 150] [--internal-failure 0.01] [--legs emulator,null]
           [--sink-records-per-s 1000] [--no-adaptive]

Legs (each: a fresh gateway with one Kinesis module taking every event,
streamgate-load sending batches of 100 ~150-byte events from `devices`
devices as fast as the gateway acknowledges them, i.e. far above capacity):
  emulator  tests/e2e/lib/throttling_kinesis.py as a process: --shards
            shards of 1,000 records/s and 1 MiB/s, random InternalFailure;
            stored records/s per shard and the throttled fraction from its
            counters, sampled after the warm-up and at the end of the load.
  null      bench/kinesis_null (one listed shard, no limits): the sink's
            own pacing with the default rate_limit, from its record count.
With --sink-records-per-s above 1000 the sink is told a wrong limit and
only its adaptive (AIMD) limiter keeps it near the emulator's.
Then the cost view: shards needed for 10,000 events/s of 150 bytes, from
AWS's per-shard limits and from the measured per-shard rate (without
aggregation; the aggregation bench adds its own numbers).
Prints a Markdown table. Never asserts: numbers only.
"""

import argparse
import json
import math
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.dirname(os.path.dirname(HERE))
EMULATOR = os.path.join(SRC, "tests", "e2e", "lib", "throttling_kinesis.py")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port, proc, what, timeout=20.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            sys.exit("%s exited with %s" % (what, proc.returncode))
        try:
            socket.create_connection(("127.0.0.1", port), 0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    sys.exit("%s did not listen on %d" % (what, port))


def read_port_line(proc, prefix):
    line = proc.stdout.readline().decode()
    if not line.startswith(prefix):
        sys.exit("unexpected first line %r" % line)
    return int(line.split()[-1].rsplit(":", 1)[-1])


def gateway_config(port, url, devices, work, sink_rate, adaptive):
    lines = ['grpc: {listen: "127.0.0.1:%d"}' % port, "shutdown_timeout_ms: 1000",
             "devices:"]
    lines += ["  - {id: %d, home_id: %d, class: sensor}" % (d, (d - 1) // 10 + 1)
              for d in range(1, devices + 1)]
    lines += ["modules:", "  - id: bench", '    subscribe_events: ["*"]',
              "    sink: {type: kinesis, region: us-east-1, stream_name: bench, "
              'endpoint: "%s", linger_ms: 20, max_in_flight: 8, '
              'dead_letter_path: "%s/dead.jsonl", rate_limit: {records_per_s: %d, '
              'adaptive: %s}}' % (url, work, sink_rate, adaptive)]
    return "\n".join(lines) + "\n"


def run_leg(args, work, name, url, sample):
    """Runs gateway + load; `sample()` -> per-shard counters dict."""
    port = free_port()
    cfg = os.path.join(work, name + ".yaml")
    with open(cfg, "w") as f:
        f.write(gateway_config(port, url, args.devices, work, args.sink_records_per_s,
                               "false" if args.no_adaptive else "true"))
    env = dict(os.environ, AWS_ACCESS_KEY_ID="AKIDBENCHMARK",
               AWS_SECRET_ACCESS_KEY="bench-dummy-secret",
               AWS_EC2_METADATA_DISABLED="true")
    log = open(os.path.join(work, name + ".log"), "wb")
    gw = subprocess.Popen([os.path.join(args.build_dir, "bin", "streamgate"),
                           "--config", cfg], stdout=log, stderr=log, env=env)
    wait_port(port, gw, "streamgate")
    load = subprocess.Popen(
        [os.path.join(args.build_dir, "bin", "streamgate-load"),
         "--target", "127.0.0.1:%d" % port, "--mode", "batch", "--batch", "100",
         "--window", "64", "--duration", str(args.duration),
         "--event-bytes", str(args.event_bytes), "--devices", str(args.devices)],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    time.sleep(args.warm_up)
    t0, s0 = time.monotonic(), sample()
    time.sleep(max(1.0, args.duration - args.warm_up - 0.5))
    t1, s1 = time.monotonic(), sample()
    load.communicate()
    gw.send_signal(signal.SIGTERM)
    try:
        gw.wait(30)
    except subprocess.TimeoutExpired:
        gw.kill()
        gw.wait()
    log.close()
    window = t1 - t0
    rows = []
    for shard in sorted(s1):
        a, b = s0.get(shard, {}), s1[shard]
        stored = b["stored"] - a.get("stored", 0)
        throttled = b.get("throttled", 0) - a.get("throttled", 0)
        rows.append((name, shard, stored / window,
                     throttled / stored if stored else float("nan")))
    return rows


def emulator_leg(args, work):
    emu = subprocess.Popen(
        [sys.executable, EMULATOR, "--shards", str(args.shards),
         "--internal-failure", str(args.internal_failure)],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    try:
        port = read_port_line(emu, "PORT")
        url = "http://127.0.0.1:%d" % port

        def sample():
            with urllib.request.urlopen(url + "/stats", timeout=10) as r:
                stats = json.load(r)
            return {s["shard"]: s for s in stats["shards"]}
        return run_leg(args, work, "emulator", url, sample)
    finally:
        emu.kill()
        emu.wait()


def null_leg(args, work):
    null = subprocess.Popen(
        [os.path.join(args.build_dir, "bin", "streamgate-kinesis-null"), "--port",
         "0", "--stats-interval", "0.2"], stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL)
    try:
        port = read_port_line(null, "listening")
        last = {"total": 0}
        os.set_blocking(null.stdout.fileno(), False)

        def sample():
            data = null.stdout.read() or b""
            for line in data.decode().splitlines():
                for field in line.split():
                    if field.startswith("total_records="):
                        last["total"] = int(field.split("=")[1])
            return {"shardId-000000000000 (null)": {"stored": last["total"],
                                                    "throttled": 0}}
        return run_leg(args, work, "null", "http://127.0.0.1:%d" % port, sample)
    finally:
        null.kill()
        null.wait()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build-dir", default=os.path.join(SRC, "build"))
    ap.add_argument("--shards", type=int, default=2)
    ap.add_argument("--duration", type=float, default=20)
    ap.add_argument("--warm-up", type=float, default=3)
    ap.add_argument("--devices", type=int, default=1000)
    ap.add_argument("--event-bytes", type=int, default=150)
    ap.add_argument("--internal-failure", type=float, default=0.01)
    ap.add_argument("--legs", default="emulator,null")
    # Above the emulator's 1,000 (a sink told a wrong limit): shows what the
    # adaptive limiter makes of throttling answers.
    ap.add_argument("--sink-records-per-s", type=int, default=1000)
    ap.add_argument("--no-adaptive", action="store_true")
    args = ap.parse_args()
    work = tempfile.mkdtemp(prefix="streamgate-kinesis-scale-")
    rows = []
    for leg in args.legs.split(","):
        rows += {"emulator": emulator_leg, "null": null_leg}[leg](args, work)
    print("| leg | shard | stored records/s | throttled / stored |")
    print("|---|---|---|---|")
    for name, shard, rate, frac in rows:
        print("| %s | %s | %.0f | %.2f%% |" % (name, shard, rate, 100 * frac))
    emu = [r for r in rows if r[0] == "emulator"]
    # AWS's per-shard limit for 150-byte events: records, not bytes, bind.
    per_shard_aws = min(1000, 1048576 // (args.event_bytes + 4))
    print("\nshards for 10,000 events/s of %d bytes, without aggregation: %d by "
          "AWS's limits" % (args.event_bytes, math.ceil(10000 / per_shard_aws)),
          end="")
    if emu:
        best = max(r[2] for r in emu)
        print(", %d at the best measured %.0f stored records/s a shard" % (
            math.ceil(10000 / best), best))
    else:
        print()
    print("(work dir: %s)" % work)


if __name__ == "__main__":
    main()
