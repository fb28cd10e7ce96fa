#!/usr/bin/python3
"""MQTT benchmark (issue 4, "Performance"); run it through bench/run_mqtt_bench.sh.

For each scenario (QoS, publish rate) and run, side by side with the same
load, each leg on a fresh mosquitto on a free 127.0.0.1 port:
  raw      mqtt_load pub -> mosquitto -> mqtt_load rawsub (batched reads
           and PUBACKs with the gateway's packet codec): the broker's relay
           ceiling, which the gateway legs are compared with ("vs ceiling");
  relay    mqtt_load pub -> mosquitto -> mqtt_load sub (plain libmosquitto
           subscriber, loop_start, max_packets 1), for comparison;
  gateway  mqtt_load pub -> mosquitto -> streamgate (mqtt:) -> file sink;
  spool10, spoolsync  the gateway leg with the module spooled (fsync: 10 ms,
           fsync: always) before the file sink;
  kinesis  mqtt_load pub -> mosquitto -> streamgate -> Kinesis sink ->
           streamgate-kinesis-null (when that binary exists);
  base     as gateway, but with another streamgate binary
           (--baseline-gateway), for before/after comparisons in one run.
  nolinger as gateway, with mqtt.read_linger_us: 0 (read coalescing off).
Delivered messages are counted where they arrive (subscriber, sink file, null
endpoint), never at the publisher. CPU per message comes from
/proc/PID/stat utime+stime deltas over the leg. The legs: bench_legs.py.
"""

import argparse
import os
import re
import shutil
import statistics
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_legs import run_gateway, run_relay  # noqa: E402


def parse_scenario(text):
    m = re.fullmatch(r"q([01])(?:@(\d+))?", text)
    if not m:
        raise SystemExit("bad scenario %r (want q0, q1, q0@RATE, q1@RATE)" % text)
    return int(m.group(1)), int(m.group(2) or 0)


def title(qos, rate):
    return "QoS %d, %s" % (qos, ("paced %d/s" % rate) if rate else "unpaced")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--gateway", required=True)
    ap.add_argument("--mqtt-load", required=True)
    ap.add_argument("--kinesis-null", default="")
    ap.add_argument("--baseline-gateway", default="",
                    help="another streamgate binary for the 'base' path")
    ap.add_argument("--scenarios", default="q0@100000 q0 q1")
    ap.add_argument("--paths", default="raw relay gateway kinesis")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--messages", type=int, default=300000)
    ap.add_argument("--devices", type=int, default=1000)
    ap.add_argument("--size", type=int, default=150)
    ap.add_argument("--pub-inflight", type=int, default=100)
    ap.add_argument("--broker-inflight", type=int, default=100)
    ap.add_argument("--max-queued", type=int, default=2000000)
    ap.add_argument("--idle-ms", type=int, default=1500)
    ap.add_argument("--keep", action="store_true")
    args = ap.parse_args()

    paths = args.paths.split()
    if "kinesis" in paths and not (args.kinesis_null and os.access(args.kinesis_null, os.X_OK)):
        print("kinesis leg skipped: %s not built (bench/kinesis_null/)" %
              (args.kinesis_null or "streamgate-kinesis-null"))
        paths.remove("kinesis")
    if "base" in paths and not os.access(args.baseline_gateway, os.X_OK):
        raise SystemExit("path 'base' needs --baseline-gateway BINARY")
    scenarios = [parse_scenario(s) for s in args.scenarios.split()]
    print("messages/leg %d, devices %d, payload %d bytes, publisher inflight %d, "
          "broker max_inflight_messages %d, %d run(s); no CPU pinning "
          "(publisher, broker and receiver share the %d cores)" %
          (args.messages, args.devices, args.size, args.pub_inflight,
           args.broker_inflight, args.runs, os.cpu_count()), flush=True)
    root = tempfile.mkdtemp(prefix="sg-mqtt-bench-")
    results = {}
    failed = False
    try:
        for qos, rate in scenarios:
            print("== " + title(qos, rate), flush=True)
            for run in range(1, args.runs + 1):
                for path in paths:
                    work = os.path.join(root, "q%d-%d-%d-%s" % (qos, rate, run, path))
                    os.makedirs(work)
                    if path in ("relay", "raw"):
                        r = run_relay(args, work, qos, rate,
                                      "sub" if path == "relay" else "rawsub")
                        extra = "subscriber %.2f us/msg" % r["client_us"]
                    else:
                        r = run_gateway(args, work, qos, rate, path)
                        extra = "gateway %.2f us/msg (user %.2f, sys %.2f), RSS %d MB, exit %d" % (
                            r["gw_us"], r["gw_user_us"], r["gw_sys_us"], r["rss_mb"], r["gw_rc"])
                        if r["gw_rc"] != 0 or r["rejected"]:
                            failed = True
                            print("    FAILED: gateway exit %d, %d rejections" %
                                  (r["gw_rc"], r["rejected"]))
                    if qos == 1 and r["delivered"] != r["published"]:
                        failed = True
                        print("    FAILED: QoS 1 lost %d" % (r["published"] - r["delivered"]))
                    print("  run %d %-7s published %d at %.0f/s, delivered %d (lost %d) "
                          "at %.0f/s; broker %.2f us/msg; %s" %
                          (run, path, r["published"], r["pub_rate"], r["delivered"],
                           r["published"] - r["delivered"], r["rate"], r["broker_us"], extra),
                          flush=True)
                    results.setdefault((qos, rate, path), []).append(r)
                    if not args.keep:
                        shutil.rmtree(work, ignore_errors=True)
    finally:
        if args.keep:
            print("kept " + root)
        else:
            shutil.rmtree(root, ignore_errors=True)

    def med(qos, rate, path, key):
        vals = [r[key] for r in results.get((qos, rate, path), [])]
        return statistics.median(vals) if vals else None

    print("\nMedians of %d run(s), %d messages per leg:\n" % (args.runs, args.messages))
    print("| load | path | delivered msg/s | vs ceiling | delivered / published | "
          "receiver CPU µs/msg (user + sys) | broker CPU µs/msg | gateway peak RSS |")
    print("|---|---|---:|---:|---:|---:|---:|---:|")
    ceiling_path = "raw" if "raw" in paths else "relay"
    for qos, rate in scenarios:
        relay = med(qos, rate, ceiling_path, "rate")
        for path in paths:
            rs = results.get((qos, rate, path))
            if not rs:
                continue
            rate_m = med(qos, rate, path, "rate")
            ratio = "%.0f%%" % (100 * rate_m / relay) if relay else "-"
            # Per-run ratios too: the median of ratios is steadier on a noisy box.
            if path != ceiling_path and relay:
                per_run = [g["rate"] / r["rate"] for g, r in
                           zip(rs, results[(qos, rate, ceiling_path)]) if r["rate"]]
                ratio += " (runs %s)" % ", ".join("%.0f%%" % (100 * x) for x in per_run)
            dp = "%d / %d" % (sum(r["delivered"] for r in rs), sum(r["published"] for r in rs))
            if path in ("relay", "raw"):
                cpu = "%.2f" % med(qos, rate, path, "client_us")
                rss = "-"
            else:
                cpu = "%.2f (%.2f + %.2f)" % (med(qos, rate, path, "gw_us"),
                                              med(qos, rate, path, "gw_user_us"),
                                              med(qos, rate, path, "gw_sys_us"))
                rss = "%d MB" % max(r["rss_mb"] for r in rs)
            print("| %s | %s | %.0f | %s | %s | %s | %.2f | %s |" % (
                title(qos, rate), {"relay": "broker relay → libmosquitto subscriber",
                                   "raw": "broker relay → raw batching subscriber (ceiling)",
                                   "gateway": "gateway → file sink",
                                   "base": "baseline gateway → file sink",
                                   "nolinger": "gateway, read_linger_us: 0 → file sink",
                                   "kinesis": "gateway → Kinesis null",
                                   "spool10": "gateway → spool (fsync: 10) → file sink",
                                   "spoolsync": "gateway → spool (fsync: always) → file sink"}[path],
                rate_m, ratio, dp, cpu, med(qos, rate, path, "broker_us"), rss))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
