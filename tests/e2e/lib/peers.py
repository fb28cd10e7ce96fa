"""Peers and small waits for the end-to-end tests: a real mosquitto on a free
127.0.0.1 port (and mosquitto_pub against it), bounded polling, and reading
files that may not exist yet. The Kinesis peers are in kinesis_peer.py and
fake_kinesis.py.

Single-threaded use.
"""

import os
import shutil
import subprocess
import time

import harness
from harness import Fatal, port_open  # noqa: F401 (port_open: re-exported)

MOSQUITTO = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
MOSQUITTO_PUB = shutil.which("mosquitto_pub") or "/usr/bin/mosquitto_pub"


def wait_until(cond, timeout, step=0.05):
    """Polls cond() until it returns a true value (returned) or `timeout`
    seconds pass (returns the last falsy value)."""
    deadline = time.monotonic() + timeout
    while True:
        v = cond()
        if v or time.monotonic() >= deadline:
            return v
        time.sleep(step)


def wait_for(cond, what, timeout=30.0, step=0.05):
    """Polls cond() until it is true; Fatal naming `what` after `timeout`."""
    v = wait_until(cond, timeout, step)
    if not v:
        raise Fatal("timed out after %.0f s waiting for %s" % (timeout, what))
    return v


def read_bytes(path):
    """The file's bytes, b"" when it does not exist (yet)."""
    try:
        with open(path, "rb") as f:
            return f.read()
    except OSError:
        return b""


def count_lines(path):
    return read_bytes(path).count(b"\n")


def stop_process(proc, timeout=5.0):
    """SIGTERM, then SIGKILL if it is still there after `timeout`."""
    if proc is None or proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


class Mosquitto:
    """A mosquitto broker on a free 127.0.0.1 port, anonymous, no
    persistence, logging to WORK/NAME.log; `extra_conf` lines are appended
    to its config (e.g. "log_type all\\n")."""

    def __init__(self, work, extra_conf="", name="mosquitto"):
        self.work = work
        self.port = harness.free_port()
        self.conf_path = os.path.join(work, name + ".conf")
        self.log_path = os.path.join(work, name + ".log")
        with open(self.conf_path, "w") as f:
            f.write("listener %d 127.0.0.1\nallow_anonymous true\n"
                    "persistence false\nlog_dest stdout\n%s"
                    % (self.port, extra_conf))
        self.proc = None
        self._log = None
        self._n = 0

    def start(self, timeout=15.0):
        self._log = open(self.log_path, "wb")
        self.proc = subprocess.Popen([MOSQUITTO, "-c", self.conf_path],
                                     stdout=self._log, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL)
        wait_for(lambda: self.proc.poll() is not None or port_open(self.port),
                 "mosquitto on port %d" % self.port, timeout)
        if self.proc.poll() is not None:
            raise Fatal("mosquitto exited with %s:\n%s" % (
                self.proc.returncode, self.log_text()[-2000:]))
        return self

    def log_text(self):
        return read_bytes(self.log_path).decode("utf-8", "replace")

    def publish(self, topic, payload=None, lines=None, client_id=None,
                qos=1, timeout=30):
        """mosquitto_pub: `payload` (bytes, any) as one message from a file,
        or `lines` as one message each over one connection (-l)."""
        cmd = [MOSQUITTO_PUB, "-h", "127.0.0.1", "-p", str(self.port),
               "-q", str(qos), "-t", topic]
        if client_id:
            cmd += ["-i", client_id]
        if lines is not None:
            res = subprocess.run(cmd + ["-l"], input=b"\n".join(lines) + b"\n",
                                 capture_output=True, timeout=timeout)
        else:
            self._n += 1
            path = os.path.join(self.work, "payload-%d.bin" % self._n)
            with open(path, "wb") as f:
                f.write(payload)
            res = subprocess.run(cmd + ["-f", path], capture_output=True,
                                 timeout=timeout, stdin=subprocess.DEVNULL)
        if res.returncode != 0:
            raise Fatal("mosquitto_pub to %s exited %d: %s" % (
                topic, res.returncode, res.stderr.decode("utf-8", "replace")))

    def stop(self):
        stop_process(self.proc)
        if self._log is not None:
            self._log.close()
            self._log = None


class Aedes(Mosquitto):
    """The npm broker aedes (MQTT 3.1.1, in-memory sessions) on a free
    127.0.0.1 port, from tests/node_modules via lib/aedes_broker.mjs, with
    the same start/publish/stop as Mosquitto (publishing still uses
    mosquitto_pub). A restart on the same port forgets every session."""

    def __init__(self, work, src_dir, name="aedes"):
        self.work = work
        self.port = harness.free_port()
        self.log_path = os.path.join(work, name + ".log")
        self.modules = os.path.join(src_dir, "tests", "node_modules")
        self.script = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                   "aedes_broker.mjs")
        self.proc = None
        self._log = None
        self._n = 0

    def start(self, timeout=15.0):
        node = shutil.which("node")
        if node is None:
            raise Fatal("node is not installed: aedes cannot run")
        self._log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(
            [node, self.script, self.modules, str(self.port)],
            stdout=self._log, stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL)
        wait_for(lambda: self.proc.poll() is not None or
                 "aedes ready" in self.log_text(),
                 "aedes on port %d" % self.port, timeout)
        if self.proc.poll() is not None:
            raise Fatal("aedes exited with %s:\n%s" % (
                self.proc.returncode, self.log_text()[-2000:]))
        return self
