"""The legs of the MQTT benchmark (mqtt_bench.py): each one on a fresh
mosquitto on a free 127.0.0.1 port (tests/e2e/lib/peers.py), the load from
mqtt_load pub, delivered messages counted where they arrive (subscriber,
sink file, null endpoint), CPU from /proc/PID/stat utime+stime deltas.
Single-threaded, except NullStats' reader thread.
"""

import os
import signal
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(
    os.path.dirname(os.path.abspath(__file__)))), "tests", "e2e", "lib"))
from harness import free_port  # noqa: E402
from peers import Mosquitto, port_open, wait_for  # noqa: E402

CLK_TCK = os.sysconf("SC_CLK_TCK")


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
    """mosquitto for one leg: it holds a backlog for a slower QoS 1
    subscriber instead of dropping it (default 1000), and lets QoS 1
    pipeline."""

    def __init__(self, work, args):
        self.mosquitto = Mosquitto(work, extra_conf=(
            "max_queued_messages %d\nmax_inflight_messages %d\n"
            "set_tcp_nodelay true\nlog_type error\nlog_type warning\n"
            % (args.max_queued, args.broker_inflight))).start(timeout=20)
        self.port = self.mosquitto.port
        self.proc = self.mosquitto.proc

    def stop(self):
        self.mosquitto.stop()


def publisher_cmd(args, port, qos, rate):
    return [args.mqtt_load, "pub", "--port", str(port), "--qos", str(qos),
            "--messages", str(args.messages), "--devices", str(args.devices),
            "--size", str(args.size), "--inflight", str(args.pub_inflight),
            "--rate", str(rate)]


def run_relay(args, work, qos, rate, mode="sub"):
    """The broker relaying to mqtt_load `mode`: "sub" (libmosquitto) or
    "rawsub" (batched reads and PUBACKs, the ceiling)."""
    broker = Broker(work, args)
    try:
        sub = subprocess.Popen(
            [args.mqtt_load, mode, "--port", str(broker.port), "--qos", str(qos),
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
FILE_LEGS = {"gateway": None, "base": None, "nolinger": None,
             "spool10": "fsync: 10", "spoolsync": "fsync: always"}
# Extra lines of the mqtt section, per leg.
MQTT_EXTRA = {"nolinger": "  read_linger_us: 0\n"}


def gateway_config(args, path, mqtt_port, qos, sink_yaml, spool_dir=None, spool=None,
                   mqtt_extra=""):
    with open(path, "w") as f:
        f.write('grpc: {listen: "127.0.0.1:%d"}\n' % free_port())
        f.write("devices:\n")
        for d in range(1, args.devices + 1):
            f.write("  - {id: %d, home_id: %d, class: sensor}\n" % (d, (d - 1) // 10 + 1))
        f.write("mqtt:\n  host: 127.0.0.1\n  port: %d\n  client_id: bench-gw\n"
                "  qos: %d\n%s" % (mqtt_port, qos, mqtt_extra))
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
            wait_for(lambda: port_open(null_port), "streamgate-kinesis-null")
            sink_yaml = ("{type: kinesis, region: us-east-1, stream_name: bench, "
                         "endpoint: \"http://127.0.0.1:%d\", linger_ms: 20, "
                         # one listed shard, no write limits: lift the sink's
                         "rate_limit: {records_per_s: 100000000, "
                         "bytes_per_s: 1099511627776}}" % null_port)
            counter = lambda: null_stats.records
            env.update(AWS_ACCESS_KEY_ID="AKIDBENCH", AWS_SECRET_ACCESS_KEY="bench-secret",
                       AWS_REGION="us-east-1")
        config = os.path.join(work, "gw.yaml")
        gateway_config(args, config, broker.port, qos, sink_yaml,
                       os.path.join(work, "spool"), FILE_LEGS.get(kind),
                       MQTT_EXTRA.get(kind, ""))
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



class NullStats:
    """Follows streamgate-kinesis-null's stdout: `interval total_records=N`
    lines while it runs, one `NULL_KINESIS records=N ...` line at SIGTERM."""

    def __init__(self, proc):
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

