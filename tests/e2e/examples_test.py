#!/usr/bin/python3
"""The configs in examples/ are valid, and work with the commands the docs show.

Usage: /usr/bin/python3 examples_test.py STREAMGATE SOURCE_DIR
           [--sim SIM] [--tail TAIL] [--only SCENARIO[,SCENARIO...]]

(--sim and --tail default to streamgate-sim and streamgate-tail next to
STREAMGATE.) Scenarios, all by default:

  check_config  `streamgate --check-config` on every examples/*.yaml, as
                shipped; and every block marked `tested-by: examples_test.py
                ID` in the docs is one a scenario below runs (SCENARIO_IDS).
  grpc_stdout   examples/grpc-stdout.yaml: a Python gRPC client (events with
                known bytes, bulk data in both MessagePack forms of
                docs/product.md, an unrouted label) and the simulator
                commands of examples/README.md and README.md; every record
                on stdout, byte for byte where the input is known.
  mqtt_file     examples/mqtt-file.yaml behind a real mosquitto started with
                the documented command; mosquitto_pub and the simulator
                commands; the files hold exactly the documented counts, each
                event with its registry home and class, no rejection logged.
  kinesalite    examples/kinesalite.sh, examples/grpc-kinesalite.yaml, a
                Python client and the simulator command; the stream read back
                with the documented streamgate-tail command.
  spool         examples/spool.yaml: the simulator command, kill -9, a
                restart; every acknowledged record in the file, spool metrics
                on the metrics port.

The commands are taken from the Markdown blocks marked `<!-- tested-by:
examples_test.py ID -->` and run as written, from SOURCE_DIR, with these
substitutions, because the examples use fixed loopback addresses (so a user
can copy them) and the test must never bind a fixed port:

- a config is run from a copy in a temporary folder, in which
  "127.0.0.1:50051" (gRPC), "127.0.0.1:9464" (metrics), "port: 1883" (the
  broker) and "http://127.0.0.1:4567" (kinesalite) become free loopback
  ports, and "/tmp/streamgate-examples/" the temporary folder. After that
  the copy may hold no other 127.0.0.1 port and no /tmp/ path (a new fixed
  port in an example fails the test instead of being bound);
- in commands, the same addresses ("127.0.0.1:50051", "127.0.0.1:1883",
  "-p 1883", "http://127.0.0.1:4567", "/tmp/streamgate-examples/") are
  replaced the same way, `build/bin/X` runs the binary under test,
  `mosquitto`/`mosquitto_pub` Debian's, and `examples/kinesalite.sh` gets
  `--port FREE` appended. A gateway command must read
  `[VAR=x ...] build/bin/streamgate --config examples/NAME.yaml`; the test
  starts the binary on the rewritten copy of NAME.yaml with those variables.

Bounded waits everywhere; loopback only. Exit 0 = pass.
"""

import argparse
import base64
import collections
import glob
import json
import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "lib"))
import doc_blocks  # noqa: E402
import harness  # noqa: E402
import kinesis_peer  # noqa: E402
from harness import Fatal  # noqa: E402

SCRIPT = "examples_test.py"
MOSQUITTO = "/usr/sbin/mosquitto"
MOSQUITTO_PUB = "/usr/bin/mosquitto_pub"
CMD_TIMEOUT = 40.0
OUT_DIR = "/tmp/streamgate-examples/"
TS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{3}|\.\d{6}|\.\d{9})?Z$")
ERROR_LINE = re.compile(r"^\S+ (error|critical) ", re.M)
ADDR = re.compile(r"\b127\.0\.0\.1:(\d+)")

# The doc blocks each scenario runs (by ID); check_config verifies that the
# docs mark no other block as tested by this script.
SCENARIO_IDS = {
    "grpc_stdout": ["grpc-stdout-run", "grpc-stdout-sim", "readme-sim-grpc"],
    "mqtt_file": ["mqtt-broker", "mqtt-file-run", "mqtt-file-pub",
                  "mqtt-file-sim", "mqtt-file-results", "readme-sim-mqtt"],
    "kinesalite": ["kinesalite-start", "grpc-kinesalite-run",
                   "grpc-kinesalite-sim", "kinesalite-tail"],
    "spool": ["spool-run", "spool-sim"],
}
SCENARIOS = ["check_config", "grpc_stdout", "mqtt_file", "kinesalite", "spool"]

# 2024-05-01T12:00:00Z
T0 = 1714564800
# docs/product.md section 3: the records "abc" and 00, in both forms.
MSGPACK_STREAM = bytes.fromhex("a3312e30" "c403616263" "c40100")
MSGPACK_ARRAY = bytes.fromhex("a3312e30" "92" "c403616263" "c40100")


class EnvGateway(harness.Gateway):
    """harness.Gateway with extra environment variables."""

    def __init__(self, binary, work_dir, config_text, name, env=None):
        super().__init__(binary, work_dir, config_text, name)
        self.env = env

    def start(self):
        self._out = open(self.stdout_path, "wb")
        self._err = open(self.stderr_path, "wb")
        self.proc = subprocess.Popen(
            [self.binary, "--config", self.config_path], stdout=self._out,
            stderr=self._err, stdin=subprocess.DEVNULL, env=self.env)

    def stderr_text(self):
        with open(self.stderr_path, "rb") as f:
            return f.read().decode("utf-8", "replace")


class Env:
    def __init__(self, args):
        self.binary = os.path.abspath(args.binary)
        self.src = os.path.abspath(args.src)
        bindir = os.path.dirname(self.binary)
        self.sim = os.path.abspath(args.sim or os.path.join(bindir, "streamgate-sim"))
        self.tail = os.path.abspath(args.tail or os.path.join(bindir, "streamgate-tail"))
        self.work = tempfile.mkdtemp(prefix="sg-examples-")
        os.chmod(self.work, 0o755)
        self.check = harness.Checker()
        self.cleanups = []
        self.blocks = doc_blocks.tested_by(self.src, SCRIPT)
        self.used = set()
        with open(os.path.join(self.src, "tools", "sim",
                               "simulated_events.json")) as f:
            self.templates = json.load(f)

    # ---- doc blocks ---------------------------------------------------

    def block(self, bid):
        b = self.blocks.get(bid)
        if b is None:
            raise Fatal("no block marked <!-- tested-by: %s %s --> in the docs"
                        % (SCRIPT, bid))
        self.used.add(bid)
        return b

    def commands(self, bid):
        return doc_blocks.shell_commands(self.block(bid).text)

    def one_command(self, bid):
        cmds = self.commands(bid)
        if len(cmds) != 1:
            raise Fatal("%s (%s): expected one command, got %r" % (
                self.block(bid).where(), bid, cmds))
        return cmds[0]

    # ---- configs and commands ----------------------------------------

    def config_copy(self, name, subs):
        """The text of examples/NAME with the fixed addresses and /tmp paths
        replaced; fails when one is missing or another remains."""
        with open(os.path.join(self.src, "examples", name)) as f:
            text = f.read()
        text = text.replace(OUT_DIR, os.path.join(self.work, "out") + "/")
        for old, new in subs.items():
            if old not in text:
                raise Fatal("examples/%s has no %r (the test rewrites it; "
                            "update SCENARIOS' substitutions)" % (name, old))
            text = text.replace(old, new)
        free = set(subs.values())
        # Comments bind nothing: check the YAML without them.
        bare = re.sub(r"(^|\s)#.*", "", text)
        for m in ADDR.finditer(bare):
            self.check.check(any(m.group(0) in v for v in free),
                             "examples/%s: fixed address %s left after the "
                             "rewrite" % (name, m.group(0)))
        self.check.check("/tmp/" not in bare.replace(self.work, ""),
                         "examples/%s: a /tmp/ path outside %s" % (name, OUT_DIR))
        return text

    def gateway_from_block(self, bid, subs, name):
        """Checks the documented gateway command and starts the binary on
        the rewritten copy of its config, with its variables."""
        words = shlex.split(self.one_command(bid))
        env = dict(os.environ)
        assigned = {}
        while words and re.match(r"^[A-Za-z_][A-Za-z0-9_]*=", words[0]):
            k, _, v = words.pop(0).partition("=")
            assigned[k] = v
        if len(words) != 3 or words[0] != "build/bin/streamgate" or \
                words[1] != "--config" or \
                not re.match(r"^examples/[\w.-]+\.yaml$", words[2]):
            raise Fatal("%s: not `build/bin/streamgate --config examples/"
                        "NAME.yaml`: %r" % (bid, words))
        config = os.path.basename(words[2])
        if assigned:
            env = kinesis_peer.aws_env()
            env.update(assigned)
        text = self.config_copy(config, subs)
        gw = EnvGateway(self.binary, self.work, text, name, env)
        gw.start()
        self.cleanups.append(gw.kill)
        return gw, config, env

    def run_command(self, cmd, subs, env=None, background=False, extra=(),
                    stdout=None):
        for old, new in list(subs.items()) + [
                (OUT_DIR, os.path.join(self.work, "out") + "/")]:
            cmd = cmd.replace(old, new)
        for m in ADDR.finditer(cmd):
            self.check.check(any(m.group(0) in v for v in subs.values()),
                             "command %r: fixed address %s not rewritten" %
                             (cmd, m.group(0)))
        words = shlex.split(cmd)
        run_env = dict(env or os.environ)
        while words and re.match(r"^[A-Za-z_][A-Za-z0-9_]*=", words[0]):
            k, _, v = words.pop(0).partition("=")
            run_env[k] = v
        programs = {
            "build/bin/streamgate": self.binary,
            "build/bin/streamgate-sim": self.sim,
            "build/bin/streamgate-tail": self.tail,
            "mosquitto": MOSQUITTO,
            "mosquitto_pub": MOSQUITTO_PUB,
            "examples/kinesalite.sh": os.path.join(self.src, "examples",
                                                   "kinesalite.sh"),
            "wc": shutil.which("wc") or "/usr/bin/wc",
        }
        if words[0] not in programs:
            raise Fatal("command %r: the test does not know how to run %s" %
                        (cmd, words[0]))
        argv = [programs[words[0]]] + words[1:] + list(extra)
        print("$ " + " ".join(shlex.quote(w) for w in argv), flush=True)
        if background:
            return subprocess.Popen(argv, cwd=self.src, env=run_env,
                                    stdout=stdout, stderr=subprocess.STDOUT,
                                    stdin=subprocess.DEVNULL)
        try:
            return subprocess.run(argv, cwd=self.src, env=run_env,
                                  capture_output=True, timeout=CMD_TIMEOUT,
                                  stdin=subprocess.DEVNULL), argv
        except subprocess.TimeoutExpired:
            raise Fatal("%r did not finish within %.0f s" % (cmd, CMD_TIMEOUT))

    def run_sim(self, bid, subs):
        """Runs a simulator block; returns [(argv, summary dict)]."""
        out = []
        for cmd in self.commands(bid):
            res, argv = self.run_command(cmd, subs)
            text = res.stdout.decode("utf-8", "replace")
            summary = parse_summary(text)
            self.check.check(res.returncode == 0 and summary is not None,
                             "%s: the simulator exited %d (0 = all acked):\n%s%s"
                             % (bid, res.returncode, text[-1500:],
                                res.stderr.decode("utf-8", "replace")[-1500:]))
            if summary is None:
                raise Fatal("%s: no SUMMARY line" % bid)
            self.check.eq(summary.get("failed_records"), "0",
                          "%s: failed_records" % bid)
            print("  " + [l for l in text.splitlines()
                          if l.startswith("SUMMARY")][0], flush=True)
            out.append((argv, summary))
        return out

    def registry(self, config):
        with open(os.path.join(self.src, "examples", config)) as f:
            text = f.read()
        reg = {int(i): (int(h), c) for i, h, c in re.findall(
            r"\{id: (\d+), home_id: (\d+), class: ([\w-]+)\}", text)}
        if not reg:
            raise Fatal("examples/%s: no device registry found" % config)
        return reg

    # ---- what the simulator sent ----------------------------------------

    def sim_model(self, argv, messages):
        """(Counter of (key, eventType, eventData JSON), Counter of (key,
        record bytes)): what `messages` messages of this simulator run are,
        following the numbering documented in tools/sim/message_source.cc."""
        opts = sim_flags(argv)
        devices = int(opts.get("devices", 10))
        first = int(opts.get("first-device-id", 1))
        label = opts.get("bulk-label", "")
        k_records = int(opts.get("bulk-records", 4))
        rec_bytes = int(opts.get("bulk-record-bytes", 32))
        templates = self.templates if opts.get("events") else []
        both = bool(label) and bool(templates)
        events, bulk = collections.Counter(), collections.Counter()
        for m in range(messages):
            is_bulk = (m % 2 == 1) if both else not templates
            k = m // 2 if both else m
            device = first + k % devices
            if is_bulk:
                for j in range(k_records):
                    r = ("device %d bulk %d record %d " % (device, k, j)).encode()
                    r = r[:rec_bytes].ljust(rec_bytes, b".")
                    bulk[(str(device), r)] += 1
            else:
                t = templates[k % len(templates)]
                events[(str(device), t["eventType"],
                        canon(t.get("eventData", {})))] += 1
        return events, bulk

    def check_sim_event(self, what, key, data, registry):
        """A simulator event record: MODE JSON, key order, registry values.
        Returns its (key, eventType, eventData) or None."""
        try:
            obj = json.loads(data)
            keys = [k for k, _ in json.loads(
                data, object_pairs_hook=lambda p: p)]
        except ValueError:
            self.check.check(False, "%s: not JSON: %r" % (what, data[:200]))
            return None
        device = obj.get("originDeviceId")
        home, cls = registry.get(device, (None, None))
        self.check.eq(keys, ["eventType", "eventData", "timestamp", "homeId",
                             "originDeviceId", "originDeviceClass"],
                      "%s: keys" % what)
        self.check.check(TS.match(str(obj.get("timestamp"))) is not None,
                         "%s: timestamp %r" % (what, obj.get("timestamp")))
        self.check.eq(key, str(device), "%s: partition key = device id" % what)
        self.check.eq(obj.get("homeId"), home, "%s: homeId from the registry"
                      % what)
        self.check.eq(obj.get("originDeviceClass"), cls,
                      "%s: originDeviceClass from the registry" % what)
        return (key, obj.get("eventType"), canon(obj.get("eventData")))

    def compare_sim(self, what, got_events, got_bulk, want_events, want_bulk,
                    at_least=False):
        if at_least:
            missing_e = want_events - got_events
            missing_b = want_bulk - got_bulk
            self.check.check(not missing_e and not missing_b,
                             "%s: acknowledged records missing: %d events, "
                             "%d bulk records (e.g. %r)" % (
                                 what, sum(missing_e.values()),
                                 sum(missing_b.values()),
                                 list((missing_e + missing_b).items())[:3]))
            return
        self.check.check(got_events == want_events,
                         "%s: events differ: missing %r, unexpected %r" % (
                             what, list((want_events - got_events).items())[:5],
                             list((got_events - want_events).items())[:5]))
        self.check.check(got_bulk == want_bulk,
                         "%s: bulk records differ: missing %r, unexpected %r" % (
                             what, list((want_bulk - got_bulk).items())[:5],
                             list((got_bulk - want_bulk).items())[:5]))

    # ---- small helpers --------------------------------------------------

    def wait_serving(self, gw, addr):
        import grpc
        start = time.monotonic()
        # A first connection refused would put the channel into gRPC's
        # reconnect backoff (seconds): wait for the port first.
        port = int(addr.rsplit(":", 1)[1])
        wait_for(lambda: can_connect(port) or gw.proc.poll() is not None,
                 "the gateway's gRPC port", timeout=30)
        channel = grpc.insecure_channel(addr)
        try:
            gw.wait_serving(channel, timeout=30)
        finally:
            channel.close()
        print("  gateway serving after %.1f s" % (time.monotonic() - start),
              flush=True)

    def stop(self, gw, what):
        start = time.monotonic()
        gw.signal(signal.SIGTERM)
        code = gw.wait_exit(timeout=30)
        gw.close_files()
        print("  %s stopped in %.1f s" % (what, time.monotonic() - start),
              flush=True)
        self.check.eq(code, 0, "%s: exit status after SIGTERM" % what)
        err = gw.stderr_text()
        bad = ERROR_LINE.findall(err)
        self.check.check(not bad, "%s: ERROR lines in the log:\n%s" % (
            what, "\n".join(l for l in err.splitlines()
                            if ERROR_LINE.match(l + "\n"))[:3000]))


def canon(value):
    return json.dumps(value, sort_keys=True, separators=(",", ":"))


def parse_summary(text):
    for line in text.splitlines():
        if line.startswith("SUMMARY "):
            return dict(w.split("=", 1) for w in line.split()[1:] if "=" in w)
    return None


def sim_flags(argv):
    """--name value / --name=value flags of a simulator command line
    (names with - or _, as the simulator accepts)."""
    out = {}
    i = 1
    while i < len(argv):
        a = argv[i]
        if a.startswith("--"):
            name, eq, value = a[2:].partition("=")
            name = name.replace("_", "-")
            if not eq:
                value = argv[i + 1] if i + 1 < len(argv) else ""
                i += 1
            out[name] = value
        i += 1
    return out


def wait_for(pred, what, timeout=30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if pred():
            return
        time.sleep(0.05)
    raise Fatal("timed out after %.0f s waiting for %s" % (timeout, what))


def can_connect(port):
    try:
        socket.create_connection(("127.0.0.1", port), 0.2).close()
        return True
    except OSError:
        return False


def count_lines(path):
    try:
        with open(path, "rb") as f:
            return f.read().count(b"\n")
    except OSError:
        return 0


def ts(seconds, nanos=0):
    from google.protobuf import timestamp_pb2
    return timestamp_pb2.Timestamp(seconds=seconds, nanos=nanos)


def publish_known(env, addr):
    """The Python client's inputs and the records they must give:
    {"console"/"alarms"/...: Counter of (key or "<uuid>", data)}."""
    import grpc
    from streamgate.v1 import gateway_pb2 as pb, gateway_pb2_grpc as rpc
    channel = grpc.insecure_channel(addr)
    stub = rpc.GatewayStub(channel)
    try:
        e1 = pb.Event(event_type="temperature", origin_device_id=1,
                      timestamp=ts(T0, 250000000))
        e1.event_data.update({"sensor": "hall", "celsius": 21.5})
        e2 = pb.Event(event_type="alarm", home_id=7, timestamp=ts(T0 + 1))
        e2.event_data.update({"level": 3})
        calls = [
            ("event from device 1", lambda: stub.PublishEvent(e1, timeout=10)),
            ("home alarm", lambda: stub.PublishEvent(e2, timeout=10)),
            ("bulk, MessagePack back to back", lambda: stub.PublishBulkData(
                pb.BulkData(device_id=3, label="telemetry",
                            msgpack_payload=MSGPACK_STREAM), timeout=10)),
            ("bulk, MessagePack array", lambda: stub.PublishBulkData(
                pb.BulkData(device_id=3, label="telemetry",
                            msgpack_payload=MSGPACK_ARRAY), timeout=10)),
            ("bulk, unrouted label", lambda: stub.PublishBulkData(
                pb.BulkData(device_id=3, label="other", records=[b"x"]),
                timeout=10)),
        ]
        for what, call in calls:
            try:
                resp = call()
                env.check.eq(resp.code, 0, "python client, %s: code" % what)
            except grpc.RpcError as e:
                env.check.check(False, "python client, %s: %s %s" % (
                    what, e.code(), e.details()))
    finally:
        channel.close()
    ev1 = (b'{"eventType":"temperature","eventData":{"celsius":21.5,'
           b'"sensor":"hall"},"timestamp":"2024-05-01T12:00:00.250Z",'
           b'"homeId":7,"originDeviceId":1,"originDeviceClass":"thermostat"}')
    ev2 = (b'{"eventType":"alarm","eventData":{"level":3},'
           b'"timestamp":"2024-05-01T12:00:01Z","homeId":7}')
    return collections.Counter([("1", ev1), ("7", ev2), ("3", b"abc"),
                                ("3", b"\x00"), ("3", b"abc"), ("3", b"\x00")]), ev2


def split_records(env, what, records, known, registry):
    """Takes the known records (a Counter of (key, data)) out of `records`
    [(key, data)], and sorts the rest into simulator events and bulk
    records. Returns (events Counter, bulk Counter)."""
    left = collections.Counter(known)
    events, bulk = collections.Counter(), collections.Counter()
    for i, (key, data) in enumerate(records):
        if left[(key, data)] > 0:
            left[(key, data)] -= 1
            continue
        if data.startswith(b"{"):
            e = env.check_sim_event("%s record %d" % (what, i), key, data,
                                    registry)
            if e:
                events[e] += 1
        else:
            bulk[(key, data)] += 1
    env.check.check(not +left, "%s: the Python client's records missing: %r"
                    % (what, list((+left).items())))
    return events, bulk


# ---- scenarios ------------------------------------------------------------

def scenario_check_config(env):
    configs = sorted(glob.glob(os.path.join(env.src, "examples", "*.yaml")))
    names = [os.path.basename(c) for c in configs]
    for need in ("grpc-stdout.yaml", "mqtt-file.yaml", "grpc-kinesalite.yaml",
                 "spool.yaml"):
        env.check.check(need in names, "examples/%s missing" % need)
    for name in names:
        rel = os.path.join("examples", name)
        res = subprocess.run([env.binary, "--check-config", rel], cwd=env.src,
                             capture_output=True, timeout=CMD_TIMEOUT)
        env.check.check(res.returncode == 0, "--check-config %s exited %d: %s"
                        % (rel, res.returncode, (res.stdout + res.stderr)
                           .decode("utf-8", "replace").strip()))
        print("checked %s" % rel, flush=True)
    wanted = {i for ids in SCENARIO_IDS.values() for i in ids}
    marked = set(env.blocks)
    env.check.check(marked <= wanted, "blocks marked tested-by %s that no "
                    "scenario runs: %s" % (SCRIPT, sorted(marked - wanted)))
    env.check.check(wanted <= marked, "blocks this test runs but the docs no "
                    "longer mark: %s" % sorted(wanted - marked))


def scenario_grpc_stdout(env):
    port = harness.free_port()
    addr = "127.0.0.1:%d" % port
    subs = {"127.0.0.1:50051": addr}
    gw, config, _ = env.gateway_from_block("grpc-stdout-run", subs,
                                           "grpc-stdout")
    registry = env.registry(config)
    env.wait_serving(gw, addr)
    known, alarm = publish_known(env, addr)
    runs = env.run_sim("grpc-stdout-sim", subs)
    # examples/README.md says so:
    env.check.eq(runs[0][1].get("acked_records"), "250",
                 "grpc-stdout-sim: acked_records (as examples/README.md says)")
    runs += env.run_sim("readme-sim-grpc", subs)
    env.stop(gw, "grpc-stdout gateway")

    lines = harness.read_sink_lines(gw.stdout_path, env.check, "stdout")
    console = [(k, d) for m, k, d in lines if m == "console"]
    alarms = [(k, d) for m, k, d in lines if m == "alarms"]
    env.check.check(all(m in ("console", "alarms") for m, _, _ in lines),
                    "stdout: unknown module in %r" % {m for m, _, _ in lines})
    env.check.eq(len(alarms), 1, "alarms module: records (only the client's "
                 "alarm)")
    for key, data in alarms:
        env.check.check(harness.UUID4.match(key) is not None,
                        "alarms: key %r is not a UUIDv4" % key)
        env.check.eq(data, alarm, "alarms: the alarm's bytes")
    events, bulk = split_records(env, "stdout", console, known, registry)
    want_e, want_b = collections.Counter(), collections.Counter()
    for argv, summary in runs:
        e, b = env.sim_model(argv, int(summary["sent_messages"]))
        want_e += e
        want_b += b
    env.compare_sim("stdout", events, bulk, want_e, want_b)
    print("stdout: %d records" % len(lines), flush=True)


def scenario_mqtt_file(env):
    mq_port = harness.free_port()
    grpc_addr = "127.0.0.1:%d" % harness.free_port()
    subs = {"127.0.0.1:50051": grpc_addr, "port: 1883": "port: %d" % mq_port,
            "127.0.0.1:1883": "127.0.0.1:%d" % mq_port,
            "-p 1883": "-p %d" % mq_port}
    broker_log = open(os.path.join(env.work, "mosquitto.log"), "wb")
    env.cleanups.append(broker_log.close)
    broker = env.run_command(env.one_command("mqtt-broker"), subs,
                             background=True, stdout=broker_log)

    def stop_broker():
        if broker.poll() is None:
            broker.terminate()
            try:
                broker.wait(timeout=5)
            except subprocess.TimeoutExpired:
                broker.kill()
                broker.wait()
    env.cleanups.append(stop_broker)
    wait_for(lambda: can_connect(mq_port) or broker.poll() is not None,
             "mosquitto on port %d" % mq_port, timeout=15)
    if broker.poll() is not None:
        raise Fatal("mosquitto exited with %s" % broker.returncode)

    config_subs = {k: v for k, v in subs.items()
                   if k in ("127.0.0.1:50051", "port: 1883")}
    gw, config, _ = env.gateway_from_block("mqtt-file-run", config_subs,
                                           "mqtt-file")
    registry = env.registry(config)
    env.wait_serving(gw, grpc_addr)
    wait_for(lambda: "mqtt: subscribed" in gw.stderr_text(),
             "the gateway's MQTT subscription", timeout=20)

    out = os.path.join(env.work, "out", "mqtt-file")
    events_path = os.path.join(out, "events.jsonl")
    bulk_path = os.path.join(out, "telemetry.jsonl")
    for cmd in env.commands("mqtt-file-pub"):
        res, _ = env.run_command(cmd, subs)
        env.check.eq(res.returncode, 0, "mqtt-file-pub: %s exit status" % cmd)
    runs = env.run_sim("mqtt-file-sim", subs)
    # QoS 1 "acked" is the broker's PUBACK: wait for the gateway's files.
    want = 1 + int(runs[0][1]["acked_records"])
    wait_for(lambda: count_lines(events_path) + count_lines(bulk_path) >= want,
             "%d records in the files" % want, timeout=30)
    res, _ = env.run_command(env.one_command("mqtt-file-results"), subs)
    text = res.stdout.decode("utf-8", "replace")
    env.check.eq(res.returncode, 0, "mqtt-file-results: exit status")
    counts = {os.path.basename(p): int(n) for n, p in
              re.findall(r"^\s*(\d+) (\S+)$", text, re.M) if p != "total"}
    # examples/README.md says so:
    env.check.eq(counts, {"events.jsonl": 101, "telemetry.jsonl": 400},
                 "wc -l of the two files (as examples/README.md says)")

    runs += env.run_sim("readme-sim-mqtt", subs)
    want = 1 + sum(int(s["acked_records"]) for _, s in runs)
    wait_for(lambda: count_lines(events_path) + count_lines(bulk_path) >= want,
             "%d records in the files" % want, timeout=30)
    env.stop(gw, "mqtt-file gateway")
    err = gw.stderr_text()
    env.check.check("rejected message" not in err,
                    "mqtt-file: the gateway rejected messages")

    ev_lines = harness.read_sink_lines(events_path, env.check, "events.jsonl")
    bulk_lines = harness.read_sink_lines(bulk_path, env.check, "telemetry.jsonl")
    env.check.check(all(m == "events" for m, _, _ in ev_lines),
                    "events.jsonl: module ids")
    env.check.check(all(m == "telemetry" for m, _, _ in bulk_lines),
                    "telemetry.jsonl: module ids")
    hand = (b'{"eventType":"alarm","eventData":{"level":3}')
    hand_lines = [(k, d) for _, k, d in ev_lines if d.startswith(hand)]
    env.check.eq(len(hand_lines), 1, "the mosquitto_pub alarm")
    for k, d in hand_lines:
        obj = json.loads(d)
        env.check.eq((k, obj.get("homeId"), obj.get("originDeviceId"),
                      obj.get("originDeviceClass")),
                     ("1", 100, 1, "thermostat"), "the mosquitto_pub alarm")
    sim_events = collections.Counter()
    for i, (_, k, d) in enumerate(ev_lines):
        if d.startswith(hand):
            continue
        e = env.check_sim_event("events.jsonl line %d" % (i + 1), k, d, registry)
        if e:
            sim_events[e] += 1
    got_bulk = collections.Counter((k, d) for _, k, d in bulk_lines)
    want_e, want_b = collections.Counter(), collections.Counter()
    for argv, summary in runs:
        e, b = env.sim_model(argv, int(summary["sent_messages"]))
        want_e += e
        want_b += b
    env.compare_sim("mqtt files", sim_events, got_bulk, want_e, want_b)
    print("mqtt files: %d events, %d bulk records" % (len(ev_lines),
                                                      len(bulk_lines)))


def scenario_kinesalite(env):
    k_port = harness.free_port()
    k_url = "http://127.0.0.1:%d" % k_port
    grpc_addr = "127.0.0.1:%d" % harness.free_port()
    cmd = env.one_command("kinesalite-start")
    if shlex.split(cmd)[0] != "examples/kinesalite.sh":
        raise Fatal("kinesalite-start: not examples/kinesalite.sh: %r" % cmd)
    log_path = os.path.join(env.work, "kinesalite.out")
    log = open(log_path, "wb")
    env.cleanups.append(log.close)
    proc = env.run_command(cmd, {}, background=True, stdout=log,
                           extra=["--port", str(k_port)])

    def stop_kinesalite():
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
    env.cleanups.append(stop_kinesalite)

    def kl_out():
        with open(log_path, "rb") as f:
            return f.read().decode("utf-8", "replace")
    wait_for(lambda: "is ACTIVE" in kl_out() or proc.poll() is not None,
             "kinesalite.sh's stream", timeout=40)
    if proc.poll() is not None:
        raise Fatal("kinesalite.sh exited %s:\n%s" % (proc.returncode, kl_out()))
    m = re.search(r'stream "([^"]+)" \((\d+) shards\) is ACTIVE', kl_out())
    stream = m.group(1) if m else None
    env.check.check("listening on %s" % k_url in kl_out(),
                    "kinesalite.sh: listening on %s:\n%s" % (k_url, kl_out()))

    subs = {"127.0.0.1:50051": grpc_addr, "http://127.0.0.1:4567": k_url}
    gw, config, gw_env = env.gateway_from_block("grpc-kinesalite-run", subs,
                                                "grpc-kinesalite")
    registry = env.registry(config)
    with open(os.path.join(env.src, "examples", config)) as f:
        env.check.check("stream_name: %s " % stream in f.read(),
                        "examples/%s streams to %r, the one kinesalite.sh "
                        "creates" % (config, stream))
    env.wait_serving(gw, grpc_addr)
    known, alarm = publish_known(env, grpc_addr)
    runs = env.run_sim("grpc-kinesalite-sim", subs)
    env.check.eq(runs[0][1].get("acked_records"), "250",
                 "grpc-kinesalite-sim: acked_records")
    env.stop(gw, "grpc-kinesalite gateway")

    res, _ = env.run_command(env.one_command("kinesalite-tail"), subs,
                             env=kinesis_peer.aws_env())
    env.check.eq(res.returncode, 0, "kinesalite-tail: exit status (%s)" %
                 res.stderr.decode("utf-8", "replace")[-500:])
    records = []
    for line in res.stdout.decode("utf-8").splitlines():
        r = json.loads(line)
        records.append((r["partitionKey"], base64.b64decode(r["data"])))
    # One module taking every event: the alarm is there once, keyed by home.
    events, bulk = split_records(env, "stream", records, known, registry)
    want_e, want_b = env.sim_model(runs[0][0], int(runs[0][1]["sent_messages"]))
    env.compare_sim("stream", events, bulk, want_e, want_b)
    dead = os.path.join(env.work, "out", "kinesis-dead.jsonl")
    env.check.check(not os.path.exists(dead) or os.path.getsize(dead) == 0,
                    "dead letters written: %s" % dead)
    print("stream: %d records" % len(records), flush=True)


def scenario_spool(env):
    grpc_addr = "127.0.0.1:%d" % harness.free_port()
    metrics_port = harness.free_port()
    subs = {"127.0.0.1:50051": grpc_addr,
            "127.0.0.1:9464": "127.0.0.1:%d" % metrics_port}
    gw, config, _ = env.gateway_from_block("spool-run", subs, "spool")
    registry = env.registry(config)
    env.wait_serving(gw, grpc_addr)
    runs = env.run_sim("spool-sim", subs)
    gw.kill()   # SIGKILL: the crash the example describes
    gw.close_files()
    spool_dir = os.path.join(env.work, "out", "spool", "archive")
    env.check.check(os.path.isdir(spool_dir), "spool dir %s" % spool_dir)

    gw2, _, _ = env.gateway_from_block("spool-run", subs, "spool-again")
    env.wait_serving(gw2, grpc_addr)
    with urllib.request.urlopen("http://127.0.0.1:%d/metrics" % metrics_port,
                                timeout=10) as r:
        metrics = r.read().decode()
    env.check.check('streamgate_module_spool_bytes{module="archive"}' in metrics,
                    "/metrics has the archive module's spool gauge")
    env.stop(gw2, "spool gateway (restarted)")

    path = os.path.join(env.work, "out", "spool", "archive.jsonl")
    lines = harness.read_sink_lines(path, env.check, "archive.jsonl")
    env.check.check(all(m == "archive" for m, _, _ in lines),
                    "archive.jsonl: module ids")
    distinct = set((k, d) for _, k, d in lines)
    events, bulk = split_records(env, "archive.jsonl", sorted(distinct),
                                 collections.Counter(), registry)
    argv, summary = runs[0]
    want_e, want_b = env.sim_model(argv, int(summary["sent_messages"]))
    # At-least-once: every acknowledged record, duplicates allowed (counted
    # once above, since each record of this run is distinct: events by their
    # receive time, bulk records by their numbering).
    env.compare_sim("archive.jsonl", events, bulk, want_e, want_b,
                    at_least=True)
    print("archive.jsonl: %d lines, %d distinct, %s acknowledged" % (
        len(lines), len(distinct), summary["acked_records"]), flush=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("binary")
    ap.add_argument("src")
    ap.add_argument("--sim")
    ap.add_argument("--tail")
    ap.add_argument("--only", default=",".join(SCENARIOS))
    args = ap.parse_args()
    only = [s for s in args.only.split(",") if s]
    unknown = [s for s in only if s not in SCENARIOS]
    if unknown:
        print("unknown scenario(s): %s (known: %s)" % (unknown, SCENARIOS))
        return 2
    env = Env(args)
    ok = False
    try:
        harness.generate_stubs(env.src, os.path.join(env.work, "stubs"))
        for name in only:
            print("=== %s" % name, flush=True)
            start = time.monotonic()
            globals()["scenario_" + name](env)
            for bid in SCENARIO_IDS.get(name, []):
                env.check.check(bid in env.used, "%s: block %s was not run" %
                                (name, bid))
            print("=== %s: %.1f s" % (name, time.monotonic() - start), flush=True)
        ok = not env.check.failures
    except Fatal as e:
        print("FATAL: %s" % e, flush=True)
    finally:
        for fn in reversed(env.cleanups):
            try:
                fn()
            except Exception as e:  # keep cleaning up
                print("cleanup: %s" % e)
        if ok:
            shutil.rmtree(env.work, ignore_errors=True)
        else:
            print("work dir kept: %s" % env.work)
    if ok:
        print("PASS (%d checks)" % env.check.passed)
        return 0
    print("FAIL: %d failure(s)" % len(env.check.failures))
    return 1


if __name__ == "__main__":
    sys.exit(main())
