#!/usr/bin/env python3
"""Issue 15 item 1 (CVE-2023-4785 class): gRPC 1.51's listener stops
accepting for good once accept() failed with EMFILE. The gateway runs under
a hard open-files limit of 256; the test opens 400 connections to its gRPC
port, holds them until the gateway has run out of descriptors, and closes
them all. Then the gateway must either answer a health call on a brand-new
connection again, or, when its listener stays wedged, exit with code 3 (the
liveness watchdog, limits.watchdog_*) so a supervisor restarts it. Alive and
deaf, the state before the watchdog, fails. Also checks that the start-up log
names the open-files limits (soft raised to the hard one).

Usage: fd_exhaustion_test.py STREAMGATE_BINARY SOURCE_DIR
"""

import os
import resource
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
import harness  # noqa: E402

FD_LIMIT = 256
CONNECTIONS = 400

CONFIG = """
grpc:
  listen: "127.0.0.1:{port}"
limits:
  watchdog_interval_ms: 1000
  watchdog_timeout_ms: 2000
  watchdog_failures: 3
modules:
  - id: all
    subscribe_events: ["*"]
    sink: {{type: file, path: "{dir}/sink.jsonl"}}
"""


class LimitedGateway(harness.Gateway):
    """A gateway started under RLIMIT_NOFILE soft = hard = FD_LIMIT (the
    gateway raises its soft limit to the hard one, so the hard one bites)."""

    def start(self):
        self._out = open(self.stdout_path, "wb")
        self._err = open(self.stderr_path, "wb")

        def limit():
            resource.setrlimit(resource.RLIMIT_NOFILE, (FD_LIMIT, FD_LIMIT))
        self.proc = subprocess.Popen(
            [self.binary, "--config", self.config_path],
            stdout=self._out, stderr=self._err, stdin=subprocess.DEVNULL,
            preexec_fn=limit)


def fresh_health_call(port, timeout):
    """One health Check on a new channel (own subchannel pool): the status
    code name, or the error's code name."""
    import grpc
    from e2e_health import health_pb2, health_pb2_grpc
    ch = grpc.insecure_channel("127.0.0.1:%d" % port, options=[
        ("grpc.use_local_subchannel_pool", 1)])
    try:
        health_pb2_grpc.HealthStub(ch).Check(
            health_pb2.HealthCheckRequest(service=""), timeout=timeout,
            wait_for_ready=True)
        return "OK"
    except grpc.RpcError as e:
        return e.code().name
    finally:
        ch.close()


def main():
    binary, src = sys.argv[1], sys.argv[2]
    work = tempfile.mkdtemp(prefix="sg-fd-")
    harness.generate_stubs(src, os.path.join(work, "stubs"))
    chk = harness.Checker()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < CONNECTIONS + 100:
        resource.setrlimit(resource.RLIMIT_NOFILE,
                           (min(hard, CONNECTIONS + 200), hard))
    port = harness.free_port()
    gw = LimitedGateway(binary, work, CONFIG.format(port=port, dir=work))

    def body():
        gw.start()
        ch = gw.serving_channel(port)
        ch.close()
        gw.wait_log("open files limit: soft %d" % FD_LIMIT, "the fd limit line")
        chk.check("hard %d" % FD_LIMIT in gw.stderr_text(),
                  "the log names the hard open-files limit")
        socks = []
        for _ in range(CONNECTIONS):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.settimeout(5)
            try:
                s.connect(("127.0.0.1", port))
            except OSError:
                s.close()
                break
            socks.append(s)
        print("opened %d connections" % len(socks), flush=True)
        chk.check(len(socks) > FD_LIMIT,
                  "more connections than the gateway has descriptors")
        # Hold them until gRPC has met EMFILE (it logs accept failures) or
        # a while has passed; the bound is on the wait, not asserted.
        harness_wait = time.monotonic() + 10
        while time.monotonic() < harness_wait:
            if "Too many open files" in gw.stderr_text():
                break
            time.sleep(0.1)
        for s in socks:
            s.close()
        # Now: a fresh health call is answered, or the watchdog exits 3.
        outcome = None
        deadline = time.monotonic() + 40
        while outcome is None and time.monotonic() < deadline:
            if gw.proc.poll() is not None:
                outcome = "exit %d" % gw.proc.returncode
                break
            if fresh_health_call(port, 2.0) == "OK":
                outcome = "answers"
        print("outcome: %s" % outcome, flush=True)
        chk.check(outcome in ("answers", "exit 3"),
                  "after fd exhaustion the gateway answers new connections "
                  "or exits 3 for a restart (got %s)" % outcome)
        if outcome == "exit 3":
            chk.check("watchdog: the gRPC listener did not answer" in
                      gw.stderr_text(), "the watchdog says why it exited")
        if gw.proc.poll() is None:
            chk.eq(gw.stop(), 0, "exit code after SIGTERM")
        gw.kill()
        gw.close_files()

    try:
        return harness.run_checks("fd_exhaustion", work, chk, body)
    finally:
        gw.kill()


if __name__ == "__main__":
    sys.exit(main())
