"""The examples/ tests' plumbing (tests/e2e/examples_*_test.py): the doc
blocks a scenario runs, the rewritten configs and commands, the simulator
runs, and the runner.

The commands are taken from the Markdown blocks marked `<!-- tested-by:
SCRIPT ID -->` (SCRIPT one of the examples_*_test.py; SCENARIO_IDS lists
the IDs of each) and run as written, from SOURCE_DIR, with these
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

Bounded waits everywhere; loopback only. Single-threaded.
"""

import argparse
import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import tempfile
import time

import doc_blocks
import harness
import kinesis_peer
from harness import Fatal
from peers import MOSQUITTO, MOSQUITTO_PUB

CMD_TIMEOUT = 40.0
OUT_DIR = "/tmp/streamgate-examples/"
ERROR_LINE = re.compile(r"^\S+ (error|critical) ", re.M)
ADDR = re.compile(r"\b127\.0\.0\.1:(\d+)")

# The doc blocks each script runs (by ID); examples_check_config_test.py
# verifies that the docs mark no other block as tested by these scripts.
SCENARIO_IDS = {
    "examples_grpc_stdout_test.py": ["grpc-stdout-run", "grpc-stdout-sim",
                                     "readme-sim-grpc"],
    "examples_mqtt_file_test.py": ["mqtt-broker", "mqtt-file-run",
                                   "mqtt-file-pub", "mqtt-file-sim",
                                   "mqtt-file-results", "readme-sim-mqtt"],
    "examples_kinesalite_test.py": ["kinesalite-start", "grpc-kinesalite-run",
                                    "grpc-kinesalite-sim", "kinesalite-tail"],
    "examples_spool_test.py": ["spool-run", "spool-sim"],
}


class Env:
    def __init__(self, args, script):
        self.binary = os.path.abspath(args.binary)
        self.src = os.path.abspath(args.src)
        bindir = os.path.dirname(self.binary)
        self.sim = os.path.abspath(args.sim or os.path.join(bindir, "streamgate-sim"))
        self.tail = os.path.abspath(args.tail or os.path.join(bindir, "streamgate-tail"))
        self.work = tempfile.mkdtemp(prefix="sg-examples-")
        os.chmod(self.work, 0o755)
        self.check = harness.Checker()
        self.cleanups = []
        self.script = script
        self.blocks = doc_blocks.tested_by(self.src, script)
        self.used = set()
        with open(os.path.join(self.src, "tools", "sim",
                               "simulated_events.json")) as f:
            self.templates = json.load(f)

    # ---- doc blocks ---------------------------------------------------

    def block(self, bid):
        b = self.blocks.get(bid)
        if b is None:
            raise Fatal("no block marked <!-- tested-by: %s %s --> in the docs"
                        % (self.script, bid))
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
        gw = harness.Gateway(self.binary, self.work, text, name, env)
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

    # ---- small helpers --------------------------------------------------

    def wait_serving(self, gw, addr):
        start = time.monotonic()
        port = int(addr.rsplit(":", 1)[1])
        gw.serving_channel(port, timeout=30).close()
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


def parse_summary(text):
    for line in text.splitlines():
        if line.startswith("SUMMARY "):
            return dict(w.split("=", 1) for w in line.split()[1:] if "=" in w)
    return None


def main(doc, script, scenario):
    """Runs scenario(env) for `script` (its file name); checks that it ran
    every block of SCENARIO_IDS[script]. Returns the exit code."""
    ap = argparse.ArgumentParser(
        description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("binary")
    ap.add_argument("src")
    ap.add_argument("--sim")
    ap.add_argument("--tail")
    args = ap.parse_args()
    env = Env(args, script)
    ok = False
    try:
        harness.generate_stubs(env.src, os.path.join(env.work, "stubs"))
        print("=== %s" % script, flush=True)
        start = time.monotonic()
        scenario(env)
        for bid in SCENARIO_IDS.get(script, []):
            env.check.check(bid in env.used, "%s: block %s was not run" %
                            (script, bid))
        print("=== %s: %.1f s" % (script, time.monotonic() - start), flush=True)
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
