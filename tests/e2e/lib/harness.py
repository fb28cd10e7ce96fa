"""Shared plumbing for the Python end-to-end tests of the streamgate binary.

Generates Python stubs from the .proto files at test time, picks a free
loopback port, starts/stops the real gateway process (with its own
environment if asked), waits for health SERVING or a log line, reads sink
files, and collects soft check failures so one run reports every mismatch.
Single-threaded use except Checker, which locks.
"""

import base64
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
LOCAL_PROTOS = os.path.join(HERE, "protos")

SINK_LINE = re.compile(
    rb'^\{"module":"([A-Za-z0-9_-]{1,64})","partitionKey":"([^"\\]{1,256})",'
    rb'"data":"([A-Za-z0-9+/]*={0,2})"\}$')
UUID4 = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-"
                   r"[0-9a-f]{12}$")


class Fatal(Exception):
    """A failure after which the test cannot go on."""


def generate_stubs(src_dir, out_dir, admin=False):
    """Compiles gateway.proto (and admin.proto with `admin`) and the local
    health/reflection protos into out_dir and puts it first on sys.path.

    Uses Debian's protoc 3.21 with its grpc_python_plugin: the protoc inside
    Debian's python3-grpc-tools (grpc_tools.protoc) is 3.5.1 and cannot parse
    proto3 `optional` (Event.origin_device_id)."""
    protoc = shutil.which("protoc") or "/usr/bin/protoc"
    plugin = shutil.which("grpc_python_plugin") or "/usr/bin/grpc_python_plugin"
    os.makedirs(out_dir, exist_ok=True)
    jobs = [
        (os.path.join(src_dir, "proto"), "streamgate/v1/gateway.proto"),
        (LOCAL_PROTOS, "e2e_health/health.proto"),
        (LOCAL_PROTOS, "e2e_reflection/reflection.proto"),
    ]
    if admin:
        jobs.append((os.path.join(src_dir, "proto"), "streamgate/v1/admin.proto"))
    for include, rel in jobs:
        cmd = [protoc, "-I", include, "-I", "/usr/include",
               "--plugin=protoc-gen-grpc_python=" + plugin,
               "--python_out=" + out_dir, "--grpc_python_out=" + out_dir, rel]
        res = subprocess.run(cmd, capture_output=True, text=True)
        if res.returncode != 0:
            raise Fatal("protoc failed for %s: %s" % (rel, res.stderr))
    sys.path.insert(0, out_dir)


def rss_bounds_apply():
    """False in a sanitizer build (ctest sets STREAMGATE_SANITIZED=1 there):
    ASan's quarantine and redzones keep freed memory resident, so an RSS
    bound would measure the sanitizer, not the gateway."""
    return os.environ.get("STREAMGATE_SANITIZED") != "1"


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Gateway:
    """One streamgate process with its config, stdout and stderr files."""

    def __init__(self, binary, work_dir, config_text, name="gw", env=None):
        """`env`: the process's whole environment (None: this one's)."""
        self.binary = binary
        self.env = env
        self.work_dir = work_dir
        self.config_path = os.path.join(work_dir, name + ".yaml")
        self.stdout_path = os.path.join(work_dir, name + ".stdout")
        self.stderr_path = os.path.join(work_dir, name + ".stderr")
        with open(self.config_path, "w") as f:
            f.write(config_text)
        self.proc = None

    def start(self):
        self._out = open(self.stdout_path, "wb")
        self._err = open(self.stderr_path, "wb")
        self.proc = subprocess.Popen(
            [self.binary, "--config", self.config_path],
            stdout=self._out, stderr=self._err, stdin=subprocess.DEVNULL,
            env=self.env)

    def wait_serving(self, channel, timeout=20.0):
        """Polls grpc.health.v1 Check("") until SERVING."""
        from e2e_health import health_pb2, health_pb2_grpc
        import grpc
        stub = health_pb2_grpc.HealthStub(channel)
        deadline = time.monotonic() + timeout
        last = None
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise Fatal("gateway exited with %s during start-up:\n%s" %
                            (self.proc.returncode, self.stderr_tail()))
            try:
                resp = stub.Check(health_pb2.HealthCheckRequest(service=""),
                                  timeout=1.0)
                if resp.status == health_pb2.HealthCheckResponse.SERVING:
                    return
                last = "status %s" % resp.status
            except grpc.RpcError as e:
                last = "%s %s" % (e.code(), e.details())
            time.sleep(0.05)
        raise Fatal("gateway not SERVING after %.0f s (last: %s)\n%s" %
                    (timeout, last, self.stderr_tail()))

    def serving_channel(self, port, timeout=20.0, options=None):
        """A channel to 127.0.0.1:port once the gateway is SERVING. Waits
        for the port to accept first: a channel whose first connect is
        refused backs off for seconds before it tries again."""
        import grpc
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and self.proc.poll() is None:
            if port_open(port):
                break
            time.sleep(0.02)
        channel = grpc.insecure_channel("127.0.0.1:%d" % port,
                                        options=options or [])
        try:
            self.wait_serving(channel, timeout)
        except Fatal:
            channel.close()
            raise
        return channel

    def log_text(self):
        """stdout and stderr so far, as text."""
        return "".join(read_text(p) for p in (self.stdout_path,
                                                self.stderr_path))

    def stderr_text(self):
        return read_text(self.stderr_path)

    def wait_log(self, needle, what, timeout=30.0):
        """Waits until `needle` is in the gateway's output; Fatal if the
        gateway exits first or the time runs out."""
        deadline = time.monotonic() + timeout
        while needle not in self.log_text():
            if self.proc.poll() is not None:
                raise Fatal("gateway exited with %s before %s:\n%s" % (
                    self.proc.returncode, what, self.stderr_tail()))
            if time.monotonic() > deadline:
                raise Fatal("timed out after %.0f s waiting for %s\n%s" % (
                    timeout, what, self.stderr_tail()))
            time.sleep(0.05)

    def stop(self, timeout=30.0):
        """SIGTERM, wait for the exit, close the files; the exit code."""
        self.signal(signal.SIGTERM)
        rc = self.wait_exit(timeout)
        self.close_files()
        return rc

    def signal(self, sig=signal.SIGTERM):
        self.proc.send_signal(sig)

    def wait_exit(self, timeout=30.0):
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            raise Fatal("gateway did not exit within %.0f s of the signal\n%s"
                        % (timeout, self.stderr_tail()))

    def kill(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()

    def close_files(self):
        for f in (getattr(self, "_out", None), getattr(self, "_err", None)):
            if f:
                f.close()

    def stderr_tail(self, n=40):
        try:
            with open(self.stderr_path, "rb") as f:
                lines = f.read().decode("utf-8", "replace").splitlines()
            return "--- gateway stderr (last %d lines) ---\n%s" % (
                n, "\n".join(lines[-n:]))
        except OSError:
            return "(no stderr)"


def port_open(port, host="127.0.0.1"):
    try:
        socket.create_connection((host, port), 0.2).close()
        return True
    except OSError:
        return False


def read_text(path):
    """The file as text ("" when it does not exist yet)."""
    try:
        with open(path, "rb") as f:
            return f.read().decode("utf-8", "replace")
    except OSError:
        return ""


class Checker:
    """Soft assertions: records every failure, keeps going."""

    def __init__(self):
        self.failures = []
        self.passed = 0
        self._lock = threading.Lock()

    def check(self, cond, what):
        with self._lock:
            if cond:
                self.passed += 1
            else:
                self.failures.append(what)
                print("FAIL: " + what, flush=True)
        return cond

    def eq(self, actual, expected, what):
        return self.check(actual == expected, "%s: expected %r, got %r" %
                          (what, expected, actual))


def read_sink_lines(path, checker, label):
    """Parses a file/stdout sink into [(module, key, data_bytes)], checking
    each line's exact shape (keys, order, compact, padded base64)."""
    if not os.path.exists(path):
        checker.check(False, "%s: sink file %s does not exist" % (label, path))
        return []
    with open(path, "rb") as f:
        raw = f.read()
    if raw and not raw.endswith(b"\n"):
        checker.check(False, "%s: last line not terminated by \\n" % label)
    out = []
    for i, line in enumerate(raw.split(b"\n")[:-1] if raw else []):
        m = SINK_LINE.match(line)
        if not checker.check(m is not None, "%s line %d has the wrong shape: %r"
                             % (label, i + 1, line[:200])):
            continue
        b64 = m.group(3)
        data = base64.b64decode(b64, validate=True)
        checker.check(base64.b64encode(data) == b64,
                      "%s line %d: base64 not canonical" % (label, i + 1))
        out.append((m.group(1).decode(), m.group(2).decode(), data))
    return out


def run_checks(name, work, chk, body):
    """Runs body(): a Fatal, or any other exception, is one failed check.
    Prints the verdict; removes `work` when every check passed (else keeps
    it for a look). Returns the exit code (0 = pass)."""
    try:
        body()
    except Fatal as e:
        chk.check(False, "fatal: %s" % e)
    except Exception:  # a crash of the test itself is a failure too
        chk.check(False, "exception:\n" + traceback.format_exc())
    if chk.failures:
        print("%s: %d FAILED, %d passed (work dir kept: %s)" % (
            name, len(chk.failures), chk.passed, work))
        return 1
    shutil.rmtree(work, ignore_errors=True)
    print("%s: all %d checks passed" % (name, chk.passed))
    return 0
