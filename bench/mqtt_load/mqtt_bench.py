#!/usr/bin/python3
"""MQTT benchmark (issue 4, "Performance"); run it through bench/run_mqtt_bench.sh.

For each scenario (QoS, publish rate) and run, side by side with the same
load, each leg on a fresh mosquitto on a free 127.0.0.1 port:
  relay    mqtt_load pub -> mosquitto -> mqtt_load sub (plain libmosquitto
           subscriber, loop_start, max_packets 1): the broker's relay ceiling;
  gateway  mqtt_load pub -> mosquitto -> streamgate (mqtt:) -> file sink;
  spool10, spoolsync  the gateway leg with the module spooled (fsync: 10 ms,
           fsync: always) before the file sink;
  kinesis  mqtt_load pub -> mosquitto -> streamgate -> Kinesis sink ->
           streamgate-kinesis-null (when that binary exists);
  base     as gateway, but with another streamgate binary
           (--baseline-gateway), for before/after comparisons in one run.
Delivered messages are counted where they arrive (subscriber, sink file, null
endpoint), never at the publisher. CPU per message comes from
/proc/PID/stat utime+stime deltas over the leg.
"""

import argparse
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time

MOSQUITTO = "/usr/sbin/mosquitto"
CLK_TCK = os.sysconf("SC_CLK_TCK")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cpu_split(pid):
    """(utime, stime) of a process in seconds (fields 14, 15 of /proc/PID/stat)."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[11]) / CLK_TCK, int(fields[12]) / CLK_TCK


def cpu_s(pid):
    return sum(cpu_split(pid))


def vm_hwm_mb(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) // 1024
    return 0


def wait_for(pred, what, timeout=20.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if pred():
            return
        time.sleep(0.02)
    raise RuntimeError("timed out waiting for " + what)


def result_fields(text):
    for line in text.splitlines():
        if line.startswith("RESULT "):
            return dict(kv.split("=", 1) for kv in line.split()[1:])
    raise RuntimeError("no RESULT line in:\n" + text[-2000:])


def count_lines(path):
    n = 0
    try:
        with open(path, "rb") as f:
            while True:
                chunk = f.read(1 << 20)
                if not chunk:
                    return n
                n += chunk.count(b"\n")
    except FileNotFoundError:
        return 0


def file_size(path):
    try:
        return os.stat(path).st_size
    except FileNotFoundError:
        return 0


class Broker:
    def __init__(self, work, args):
        self.port = free_port()
        conf = os.path.join(work, "mosquitto.conf")
        with open(conf, "w") as f:
            f.write("listener %d 127.0.0.1\n" % self.port)
            f.write("allow_anonymous true\npersistence false\n")
            # Hold a backlog for a slower QoS 1 subscriber instead of
            # dropping it (default 1000), and let QoS 1 pipeline.
            f.write("max_queued_messages %d\n" % args.max_queued)
            f.write("max_inflight_messages %d\n" % args.broker_inflight)
            f.write("set_tcp_nodelay true\n")
            f.write("log_dest stdout\nlog_type error\nlog_type warning\n")
        self.log = open(os.path.join(work, "mosquitto.log"), "wb")
        self.proc = subprocess.Popen([MOSQUITTO, "-c", conf], stdout=self.log,
                                     stderr=subprocess.STDOUT)

        def up():
            if self.proc.poll() is not None:
                raise RuntimeError("mosquitto exited")
            try:
                socket.create_connection(("127.0.0.1", self.port), 0.2).close()
                return True
            except OSError:
                return False
        wait_for(up, "mosquitto")

    def stop(self):
        self.proc.terminate()
        self.proc.wait()
        self.log.close()


def publisher_cmd(args, port, qos, rate):
    return [args.mqtt_load, "pub", "--port", str(port), "--qos", str(qos),
            "--messages", str(args.messages), "--devices", str(args.devices),
            "--size", str(args.size), "--inflight", str(args.pub_inflight),
            "--rate", str(rate)]


def run_relay(args, work, qos, rate):
    broker = Broker(work, args)
    try:
        sub = subprocess.Popen(
            [args.mqtt_load, "sub", "--port", str(broker.port), "--qos", str(qos),
             "--messages", str(args.messages), "--idle-ms", str(args.idle_ms)],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        if sub.stdout.readline().strip() != "READY":
            raise RuntimeError("subscriber did not subscribe")
        b0 = cpu_s(broker.proc.pid)
        pub = subprocess.run(publisher_cmd(args, broker.port, qos, rate),
                             capture_output=True, text=True, check=True)
        out, _ = sub.communicate(timeout=600)
        b1 = cpu_s(broker.proc.pid)
    finally:
        broker.stop()
    p, s = result_fields(pub.stdout), result_fields(out)
    delivered = int(s["received"])
    return {
        "published": int(p["published"]), "pub_rate": float(p["rate"]),
        "delivered": delivered, "rate": float(s["rate"]),
        "client_us": float(s["cpu_us_per_msg"]),
        "broker_us": (b1 - b0) * 1e6 / max(delivered, 1),
        "size": int(p["size"]),
    }


# Legs that end in a file sink, and the spool each one puts in front of it.
FILE_LEGS = {"gateway": None, "base": None,
             "spool10": "fsync: 10", "spoolsync": "fsync: always"}


def gateway_config(args, path, mqtt_port, qos, sink_yaml, spool_dir=None, spool=None):
    with open(path, "w") as f:
        f.write('grpc: {listen: "127.0.0.1:%d"}\n' % free_port())
        f.write("devices:\n")
        for d in range(1, args.devices + 1):
            f.write("  - {id: %d, home_id: %d, class: sensor}\n" % (d, (d - 1) // 10 + 1))
        f.write("mqtt:\n  host: 127.0.0.1\n  port: %d\n  client_id: bench-gw\n"
                "  qos: %d\n" % (mqtt_port, qos))
        f.write("modules:\n  - id: bench\n    subscribe_events: [\"*\"]\n")
        f.write("    sink: %s\n" % sink_yaml)
        if spool:
            f.write("    spool: {dir: %s, %s}\n" % (spool_dir, spool))


def start_gateway(args, work, config, env=None, wrapper=(), binary=None):
    log_path = os.path.join(work, "gateway.log")
    log = open(log_path, "wb")
    gw = subprocess.Popen(list(wrapper) + [binary or args.gateway, "--config", config],
                          stdout=log, stderr=subprocess.STDOUT,
                          stdin=subprocess.DEVNULL, env=env)

    def subscribed():
        if gw.poll() is not None:
            raise RuntimeError("gateway exited:\n" + open(log_path, errors="replace").read()[-3000:])
        return b"mqtt: subscribed" in open(log_path, "rb").read()
    wait_for(subscribed, "the gateway's MQTT subscription", timeout=120)
    return gw, log, log_path


def watch(counter, pub, idle_s):
    """Polls counter() every 10 ms until the publisher has exited and the
    count has not changed for idle_s. Returns (first_count, t_first, t_last):
    the count and time at the first observed change, and the time of the
    last change."""
    first = last = None
    first_count = 0
    prev = counter()
    pub_exit = None
    while True:
        time.sleep(0.01)
        now = time.monotonic()
        cur = counter()
        if cur != prev:
            if first is None:
                first, first_count = now, cur
            last = now
            prev = cur
            continue
        if pub_exit is None and pub.poll() is not None:
            pub_exit = now
        if pub_exit is not None and now - max(pub_exit, last or 0) > idle_s:
            return first_count, first, last


def run_gateway(args, work, qos, rate, kind):
    broker = Broker(work, args)
    null = None
    gw = None
    try:
        env = dict(os.environ)
        if kind in FILE_LEGS:
            sink = os.path.join(work, "out.jsonl")
            sink_yaml = "{type: file, path: %s}" % sink
            counter = lambda: file_size(sink)
        else:
            null_port = free_port()
            null_log = open(os.path.join(work, "null.log"), "wb")
            null = subprocess.Popen([args.kinesis_null, "--port", str(null_port),
                                     "--stats-interval", "0.05"],
                                    stdout=subprocess.PIPE, stderr=null_log, text=True)
            null_stats = NullStats(null)
            wait_for(lambda: _connectable(null_port), "streamgate-kinesis-null")
            sink_yaml = ("{type: kinesis, region: us-east-1, stream_name: bench, "
                         "endpoint: \"http://127.0.0.1:%d\", linger_ms: 20}" % null_port)
            counter = lambda: null_stats.records
            env.update(AWS_ACCESS_KEY_ID="AKIDBENCH", AWS_SECRET_ACCESS_KEY="bench-secret",
                       AWS_REGION="us-east-1")
        config = os.path.join(work, "gw.yaml")
        gateway_config(args, config, broker.port, qos, sink_yaml,
                       os.path.join(work, "spool"), FILE_LEGS.get(kind))
        gw, log, log_path = start_gateway(
            args, work, config, env,
            binary=args.baseline_gateway if kind == "base" else None)
        g0, b0 = cpu_split(gw.pid), cpu_s(broker.proc.pid)
        pub = subprocess.Popen(publisher_cmd(args, broker.port, qos, rate),
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        first_count, first, last = watch(counter, pub, args.idle_ms / 1000.0)
        pub_out = pub.communicate()[0]
        g1, b1 = cpu_split(gw.pid), cpu_s(broker.proc.pid)
        rss = vm_hwm_mb(gw.pid)
        gw.send_signal(signal.SIGTERM)
        gw_rc = gw.wait(timeout=60)
        gw = None
        log.close()
        if kind in FILE_LEGS:
            delivered = count_lines(sink)
            # The watcher saw bytes at its first change: in records,
            # about the same share of the file.
            first_count = round(delivered * first_count / max(file_size(sink), 1))
        else:
            null.send_signal(signal.SIGTERM)
            null.wait(timeout=30)
            null_stats.thread.join(timeout=10)
            final = null_stats.final
            null = None
            delivered = int(final["records"])
        if pub.returncode != 0:
            raise RuntimeError("publisher failed:\n" + pub_out)
        p = result_fields(pub_out)
        rejected = open(log_path, "rb").read().count(b"rejected message")
    finally:
        if gw is not None:
            gw.kill()
            gw.wait()
        if null is not None:
            null.terminate()
            null.wait()
        broker.stop()
    span = (last - first) if (first is not None and last is not None and last > first) else 0
    return {
        "published": int(p["published"]), "pub_rate": float(p["rate"]),
        "delivered": delivered,
        # From the first to the last observed change of the count.
        "rate": (delivered - first_count) / span if span > 0 else 0.0,
        "gw_us": (sum(g1) - sum(g0)) * 1e6 / max(delivered, 1),
        "gw_user_us": (g1[0] - g0[0]) * 1e6 / max(delivered, 1),
        "gw_sys_us": (g1[1] - g0[1]) * 1e6 / max(delivered, 1),
        "broker_us": (b1 - b0) * 1e6 / max(delivered, 1),
        "rss_mb": rss, "gw_rc": gw_rc, "rejected": rejected,
        "size": int(p["size"]),
    }


def _connectable(port):
    try:
        socket.create_connection(("127.0.0.1", port), 0.2).close()
        return True
    except OSError:
        return False


class NullStats:
    """Follows streamgate-kinesis-null's stdout: `interval total_records=N`
    lines while it runs, one `NULL_KINESIS records=N ...` line at SIGTERM."""

    def __init__(self, proc):
        import threading
        self.records = 0
        self.final = None
        self.thread = threading.Thread(target=self._read, args=(proc,), daemon=True)
        self.thread.start()

    def _read(self, proc):
        for line in proc.stdout:
            if line.startswith("interval "):
                self.records = int(result_fields("RESULT " + line.split(" ", 1)[1])["total_records"])
            elif line.startswith("NULL_KINESIS "):
                self.final = result_fields("RESULT " + line.split(" ", 1)[1])


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
    ap.add_argument("--paths", default="relay gateway kinesis")
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
                    if path == "relay":
                        r = run_relay(args, work, qos, rate)
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
    print("| load | path | delivered msg/s | vs relay | delivered / published | "
          "receiver CPU µs/msg (user + sys) | broker CPU µs/msg | gateway peak RSS |")
    print("|---|---|---:|---:|---:|---:|---:|---:|")
    for qos, rate in scenarios:
        relay = med(qos, rate, "relay", "rate")
        for path in paths:
            rs = results.get((qos, rate, path))
            if not rs:
                continue
            rate_m = med(qos, rate, path, "rate")
            ratio = "%.0f%%" % (100 * rate_m / relay) if relay else "-"
            # Per-run ratios too: the median of ratios is steadier on a noisy box.
            if path != "relay" and relay:
                per_run = [g["rate"] / r["rate"] for g, r in
                           zip(rs, results[(qos, rate, "relay")]) if r["rate"]]
                ratio += " (runs %s)" % ", ".join("%.0f%%" % (100 * x) for x in per_run)
            dp = "%d / %d" % (sum(r["delivered"] for r in rs), sum(r["published"] for r in rs))
            if path == "relay":
                cpu = "%.2f" % med(qos, rate, path, "client_us")
                rss = "-"
            else:
                cpu = "%.2f (%.2f + %.2f)" % (med(qos, rate, path, "gw_us"),
                                              med(qos, rate, path, "gw_user_us"),
                                              med(qos, rate, path, "gw_sys_us"))
                rss = "%d MB" % max(r["rss_mb"] for r in rs)
            print("| %s | %s | %.0f | %s | %s | %s | %.2f | %s |" % (
                title(qos, rate), {"relay": "broker relay → plain subscriber",
                                   "gateway": "gateway → file sink",
                                   "base": "baseline gateway → file sink",
                                   "kinesis": "gateway → Kinesis null",
                                   "spool10": "gateway → spool (fsync: 10) → file sink",
                                   "spoolsync": "gateway → spool (fsync: always) → file sink"}[path],
                rate_m, ratio, dp, cpu, med(qos, rate, path, "broker_us"), rss))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
