#!/usr/bin/python3
"""KPL aggregation benchmark (issue 12): what aggregation buys per shard and
what it costs the gateway, for ~150-byte events.

Usage: bench/aggregation/run_aggregation_bench.py [--build-dir DIR]
           [--duration S] [--runs N] [--shards N] [--legs "limits cpu"]
           [--ordering per_key|none] [--sink-extra YAML] [--no-pin] [--keep]

--ordering is the sink's `ordering` (per_key, the default, holds a key's
later records while one of its records or groups is out; none does not).
Each run starts a fresh gateway (pinned to core 0; the load and the endpoint
on core 1) with one Kinesis module, aggregation off then on, fed by
streamgate-load (batches of 100 events per Publish message, window 64,
--event-bytes 150, devices 1..60) for --duration seconds, then waits until
everything acked is stored.

- limits: the endpoint is shard_limited_kinesis.py with --shards shards and
  AWS's per-shard write limits (1,000 records/s, 1 MiB/s); measures stored
  user records/s per shard (median of the per-second counts while the load
  runs), the records it refused for throughput, and that no user record was
  misrouted (outside its aggregate's shard) or lost.
- cpu: the endpoint is streamgate-kinesis-null (every PutRecords succeeds,
  one shard) and the sink's rate limit is lifted (`rate_limit` far above
  what the machine can send), so neither run is held back by a shard's
  budget; measures the gateway's CPU (utime+stime) per acked record, from
  the start of the load until every record is stored, and acked records/s.

Prints a line per run and a summary with medians, the CPU ratio
(aggregation / none; target <= 1.2) and the cost view: shards needed for
10,000 events/s of 150 bytes with and without aggregation, from the
measured per-shard rates. Exit 1 when a run failed (load errors, records
lost or misrouted, gateway exit status).
"""

import argparse
import math
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
LIMITED = os.path.join(HERE, "shard_limited_kinesis.py")
DEVICES = 60
TARGET_EVENTS_PER_S = 10000
ENV = dict(os.environ, AWS_ACCESS_KEY_ID="AKIDBENCHMARK",
           AWS_SECRET_ACCESS_KEY="bench-dummy-secret",
           AWS_EC2_METADATA_DISABLED="true")
CLK_TCK = os.sysconf("SC_CLK_TCK")


def free_port():
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cpu_ticks(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])


def kv(line):
    return dict(w.split("=", 1) for w in line.split() if "=" in w)


def wait_line(path, prefix, proc, timeout=20.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with open(path) as f:
            for line in f:
                if line.startswith(prefix):
                    return line
        if proc.poll() is not None:
            raise RuntimeError("%s exited: %s" % (proc.args[0], open(path).read()))
        time.sleep(0.05)
    raise RuntimeError("no %r in %s within %.0f s" % (prefix, path, timeout))


def wait_port(port, proc, log, timeout=20.0):
    import socket
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError("gateway exited: " + open(log).read()[-2000:])
        try:
            with socket.create_connection(("127.0.0.1", port), 0.2):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("gateway not listening on %d" % port)


def config(port, endpoint, aggregate, extra):
    lines = ['grpc: {listen: "127.0.0.1:%d"}' % port, "devices:"]
    lines += ["  - {id: %d, home_id: %d, class: sensor}" % (d, (d - 1) // 10 + 1)
              for d in range(1, DEVICES + 1)]
    lines += ["modules:", "  - id: bench", '    subscribe_events: ["*"]',
              "    sink:", "      type: kinesis", "      region: us-east-1",
              "      stream_name: bench", '      endpoint: "%s"' % endpoint,
              "      aggregation: {enabled: %s}" % ("true" if aggregate else "false")]
    lines += ["      " + e for e in extra]
    return "\n".join(lines) + "\n"


class Run:
    def __init__(self, args, leg, aggregate, index):
        self.args, self.leg, self.aggregate = args, leg, aggregate
        self.dir = os.path.join(args.work, "%s-%s-%d" % (
            leg, "agg" if aggregate else "plain", index))
        os.makedirs(self.dir)
        self.gw_pin = ["taskset", "-c", "0"] if args.pin else []
        self.client_pin = ["taskset", "-c", "1"] if args.pin else []

    def start_endpoint(self):
        self.ep_out = os.path.join(self.dir, "endpoint.out")
        if self.leg == "limits":
            cmd = self.client_pin + [sys.executable, LIMITED, "--shards",
                                     str(self.args.shards)]
        else:
            cmd = self.client_pin + [os.path.join(self.args.bin,
                                                  "streamgate-kinesis-null"),
                                     "--port", "0", "--stats-interval", "0.2"]
        self.ep = subprocess.Popen(cmd, stdout=open(self.ep_out, "w"),
                                   stderr=subprocess.STDOUT)
        line = wait_line(self.ep_out, "listening ", self.ep)
        return "http://" + line.split()[1]

    def stored_users(self):
        """User records the endpoint stored so far."""
        total = 0
        with open(self.ep_out) as f:
            for line in f:
                if self.leg == "limits" and line.startswith("interval "):
                    total += int(kv(line)["user"])
                elif self.leg == "cpu" and line.startswith("interval "):
                    total = int(kv(line)["total_user_records"])
        return total

    def run(self):
        endpoint = self.start_endpoint()
        port = free_port()
        cfg = os.path.join(self.dir, "config.yaml")
        extra = ["ordering: " + self.args.ordering] + list(self.args.sink_extra)
        if self.leg == "cpu":
            extra.append("rate_limit: {records_per_s: 100000000, "
                         "bytes_per_s: 1024GiB, adaptive: false}")
        with open(cfg, "w") as f:
            f.write(config(port, endpoint, self.aggregate, extra))
        log = os.path.join(self.dir, "gateway.log")
        gw = subprocess.Popen(self.gw_pin + [os.path.join(
            self.args.bin, "streamgate"), "--config", cfg], env=ENV,
            stdout=open(log, "w"), stderr=subprocess.STDOUT)
        try:
            wait_port(port, gw, log)
            time.sleep(1.0)  # the sink's shard map (ListShards) is in
            cpu0 = cpu_ticks(gw.pid)
            t0 = time.monotonic()
            load = subprocess.run(self.client_pin + [
                os.path.join(self.args.bin, "streamgate-load"), "--target",
                "127.0.0.1:%d" % port, "--mode", "batch", "--batch", "100",
                "--window", "64", "--duration", str(self.args.duration),
                "--event-bytes", "150", "--devices", str(DEVICES)],
                capture_output=True, text=True)
            load_s = time.monotonic() - t0
            result = [l for l in load.stdout.splitlines()
                      if l.startswith("RESULT ")]
            acked = int(kv(result[0])["events_acked"]) if result else 0
            stored, prev, stable = 0, -1, 0
            deadline = time.monotonic() + 300
            while time.monotonic() < deadline:
                stored = self.stored_users()
                if stored >= acked:
                    break
                stable = stable + 1 if stored == prev else 0
                if stable >= 50:  # 10 s without progress
                    break
                prev = stored
                time.sleep(0.2)
            cpu1 = cpu_ticks(gw.pid)
            total_s = time.monotonic() - t0
            gw.send_signal(signal.SIGTERM)
            gw_rc = gw.wait(timeout=120)
        finally:
            if gw.poll() is None:
                gw.kill()
                gw.wait()
            self.ep.send_signal(signal.SIGTERM)
            self.ep.wait(timeout=30)
        with open(self.ep_out) as f:
            text = f.read()
        out = dict(acked=acked, load_s=load_s, total_s=total_s, gw_rc=gw_rc,
                   load_rc=load.returncode,
                   cpu_us=(cpu1 - cpu0) * 1e6 / CLK_TCK / acked if acked else 0,
                   acked_per_s=acked / load_s if load_s else 0)
        if self.leg == "limits":
            final = kv([l for l in text.splitlines()
                        if l.startswith("SHARD_LIMITED ")][0])
            per_s = [int(kv(l)["user"]) for l in text.splitlines()
                     if l.startswith("interval ")]
            # The seconds while the load ran, past the first (ramp-up).
            steady = per_s[2:int(self.args.duration)]
            out.update(stored=int(final["user"]),
                       kinesis_records=int(final["stored"]),
                       stored_bytes=int(final["stored_bytes"]),
                       throttled=int(final["throttled"]),
                       misrouted=int(final["misrouted"]),
                       bad_aggregates=int(final["bad_aggregates"]),
                       per_shard_per_s=(statistics.median(steady) /
                                        self.args.shards) if steady else 0)
        else:
            final = kv([l for l in text.splitlines()
                        if l.startswith("NULL_KINESIS ")][0])
            out.update(stored=int(final["user_records"]),
                       kinesis_records=int(final["records"]))
        out["ok"] = (out["load_rc"] == 0 and gw_rc == 0 and acked > 0 and
                     out["stored"] == acked and
                     out.get("misrouted", 0) == 0 and
                     out.get("bad_aggregates", 0) == 0)
        return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--build-dir", default=os.path.join(ROOT, "build"))
    ap.add_argument("--duration", type=int, default=10)
    ap.add_argument("--runs", type=int, default=1)
    ap.add_argument("--shards", type=int, default=2)
    ap.add_argument("--legs", default="limits cpu")
    ap.add_argument("--ordering", default="per_key", choices=["per_key", "none"])
    ap.add_argument("--sink-extra", action="append", default=[],
                    help="an extra line of the sink section (YAML)")
    ap.add_argument("--no-pin", dest="pin", action="store_false")
    ap.add_argument("--keep", action="store_true")
    args = ap.parse_args()
    args.bin = os.path.join(os.path.abspath(args.build_dir), "bin")
    for b in ("streamgate", "streamgate-load", "streamgate-kinesis-null"):
        if not os.access(os.path.join(args.bin, b), os.X_OK):
            print("missing %s/%s: build it first" % (args.bin, b))
            return 1
    if args.pin and (shutil.which("taskset") is None or os.cpu_count() < 2):
        args.pin = False
    args.work = tempfile.mkdtemp(prefix="streamgate-aggregation-bench-")
    results = {}
    failed = False
    try:
        for i in range(args.runs):
            for leg in args.legs.split():
                for aggregate in (False, True):
                    r = Run(args, leg, aggregate, i).run()
                    results.setdefault((leg, aggregate), []).append(r)
                    failed |= not r["ok"]
                    print("%-6s %-11s acked %7d (%6.0f/s) stored %7d in %5d "
                          "Kinesis records; gateway %.2f us/record%s%s" % (
                              leg, "aggregation" if aggregate else "plain",
                              r["acked"], r["acked_per_s"], r["stored"],
                              r["kinesis_records"], r["cpu_us"],
                              "; %.0f user records/s per shard, %d throttled, "
                              "%d misrouted" % (r["per_shard_per_s"],
                                                r["throttled"], r["misrouted"])
                              if leg == "limits" else "",
                              "" if r["ok"] else "  FAILED"), flush=True)
    finally:
        if args.keep or failed:
            print("work dir kept: %s" % args.work)
        else:
            shutil.rmtree(args.work, ignore_errors=True)

    def med(leg, aggregate, key):
        rs = results.get((leg, aggregate), [])
        return statistics.median(r[key] for r in rs) if rs else None

    print("\nSUMMARY (medians of %d run(s), %d s each, ordering: %s)" % (
        args.runs, args.duration, args.ordering))
    if ("limits", True) in results:
        plain = med("limits", False, "per_shard_per_s")
        agg = med("limits", True, "per_shard_per_s")
        bytes_per_user = med("limits", True, "stored_bytes") / max(
            1, med("limits", True, "stored"))
        print("stored user records/s per shard: plain %.0f, aggregation %.0f "
              "(target with aggregation >= 5,000)" % (plain, agg))
        print("bytes per user record inside aggregates: %.1f (1 MiB/s per "
              "shard allows %.0f user records/s)" % (
                  bytes_per_user, 1048576 / bytes_per_user))
        print("cost view, shards for %d events/s of 150 bytes: plain %d, "
              "aggregation %d" % (TARGET_EVENTS_PER_S,
                                  math.ceil(TARGET_EVENTS_PER_S / plain),
                                  math.ceil(TARGET_EVENTS_PER_S / agg)))
    if ("cpu", True) in results:
        plain = med("cpu", False, "cpu_us")
        agg = med("cpu", True, "cpu_us")
        print("gateway CPU per record: plain %.2f us, aggregation %.2f us, "
              "ratio %.2fx (target <= 1.2x); acked/s plain %.0f, aggregation "
              "%.0f" % (plain, agg, agg / plain, med("cpu", False,
                                                     "acked_per_s"),
                        med("cpu", True, "acked_per_s")))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
