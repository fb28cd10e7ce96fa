#!/usr/bin/env python3
"""Issue 15 item 3: logging must not stall ingest. Log lines were written
inline on gRPC threads, so with stderr on a pipe nobody reads, the first
rejection's WARN line blocked its thread and, after enough bad calls, valid
calls timed out.

The gateway (with an API key) gets a pipe as stderr that this test never
reads. Once it serves, the test fills that pipe to capacity itself (through
a second, non-blocking open of the same pipe), then sends BAD_CALLS calls
without a valid key (four different reasons) and then VALID_CALLS calls with
the key. Every bad call must be answered UNAUTHENTICATED and every valid
call OK within its gRPC deadline (CALL_TIMEOUT: a hang, not a speed limit),
and each valid event must reach the file sink. Then the pipe is read: the
rejections were logged rate-limited per reason (one line per reason per
second, with the count held back), and /metrics has
streamgate_log_lines_dropped_total.

Usage: stalled_stderr_test.py STREAMGATE_BINARY SOURCE_DIR
"""

import os
import re
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
import harness  # noqa: E402

KEY = "sg-test-key-stalled-stderr-71c2"
BAD_CALLS = 2000
VALID_CALLS = 50
CALL_TIMEOUT = 15  # seconds; a stalled gateway never answers at all
REASONS = [
    ([], "missing API key"),
    ([("authorization", "Bearer wrong-key")], "unknown API key"),
    ([("authorization", "Basic abc")], "authorization must use the Bearer scheme"),
    ([("authorization", "Bearer ")], "empty API key"),
]

CONFIG = """
grpc:
  listen: "127.0.0.1:{port}"
metrics: {{listen: "127.0.0.1:{metrics_port}"}}
api_keys:
  - {{id: k1, name: test, key_sha256: "{hash}"}}
modules:
  - id: all
    subscribe_events: ["*"]
    sink: {{type: file, path: "{dir}/sink.jsonl"}}
"""


def fill_pipe(write_fd):
    """Fills the pipe behind write_fd to capacity, through a non-blocking
    open file description of its own (the gateway's stays blocking)."""
    fd = os.open("/proc/self/fd/%d" % write_fd, os.O_WRONLY | os.O_NONBLOCK)
    total = 0
    try:
        # Whole pages first, then single bytes for the last partial page (a
        # small write to a pipe needs all its room free).
        for chunk in (b"#" * 4095 + b"\n", b"#"):
            while True:
                try:
                    total += os.write(fd, chunk)
                except BlockingIOError:
                    break
        return total
    finally:
        os.close(fd)


def main():
    binary, src = sys.argv[1], sys.argv[2]
    work = tempfile.mkdtemp(prefix="sg-stalled-stderr-")
    harness.generate_stubs(src, os.path.join(work, "stubs"))
    import grpc
    from streamgate.v1 import gateway_pb2 as pb, gateway_pb2_grpc as rpc
    chk = harness.Checker()
    port, metrics_port = harness.free_port(), harness.free_port()
    digest = subprocess.run([binary, "--hash-key"], input=KEY, text=True,
                            capture_output=True, check=True).stdout.strip()
    config = os.path.join(work, "gw.yaml")
    with open(config, "w") as f:
        f.write(CONFIG.format(port=port, metrics_port=metrics_port,
                              hash=digest, dir=work))
    read_fd, write_fd = os.pipe()
    proc = subprocess.Popen([binary, "--config", config],
                            stdin=subprocess.DEVNULL,
                            stdout=open(os.path.join(work, "gw.stdout"), "wb"),
                            stderr=write_fd)
    drained = []

    def drain():
        while True:
            chunk = os.read(read_fd, 1 << 16)
            if not chunk:
                return
            drained.append(chunk)

    def body():
        gw = harness.Gateway(binary, work, "", name="harness-unused")
        gw.proc = proc
        ch = gw.serving_channel(port)
        filled = fill_pipe(write_fd)
        print("stderr pipe filled with %d bytes; nobody reads it" % filled,
              flush=True)
        stub = rpc.GatewayStub(ch)
        event = pb.Event(event_type="alarm", home_id=7)
        started = time.monotonic()
        bad = [stub.PublishEvent.future(event, timeout=CALL_TIMEOUT,
                                        metadata=REASONS[i % len(REASONS)][0])
               for i in range(BAD_CALLS)]
        codes = {}
        for f in bad:
            try:
                f.result()
                code = grpc.StatusCode.OK
            except grpc.RpcError as e:
                code = e.code()
            codes[code] = codes.get(code, 0) + 1
        chk.eq(codes, {grpc.StatusCode.UNAUTHENTICATED: BAD_CALLS},
               "answers to the calls without a valid key")
        if codes.get(grpc.StatusCode.DEADLINE_EXCEEDED):
            raise harness.Fatal("the gateway stalled on its stderr")
        ok = 0
        for i in range(VALID_CALLS):
            e = pb.Event(event_type="valid", home_id=i + 1)
            try:
                stub.PublishEvent(e, timeout=CALL_TIMEOUT,
                                  metadata=[("authorization", "Bearer " + KEY)])
                ok += 1
            except grpc.RpcError as err:
                print("valid call %d: %s %s" % (i, err.code(), err.details()),
                      flush=True)
                break  # a stalled gateway answers none: do not wait for all
        chk.eq(ok, VALID_CALLS, "valid calls answered OK with stderr stalled")
        sink = os.path.join(work, "sink.jsonl")
        harness_lines = []
        deadline = time.monotonic() + CALL_TIMEOUT
        while time.monotonic() < deadline:
            harness_lines = harness.read_text(sink).splitlines() \
                if os.path.exists(sink) else []
            if len(harness_lines) >= VALID_CALLS:
                break
            time.sleep(0.05)
        chk.eq(len(harness_lines), VALID_CALLS, "events in the file sink")
        with urllib.request.urlopen("http://127.0.0.1:%d/metrics" % metrics_port,
                                    timeout=CALL_TIMEOUT) as resp:
            text = resp.read().decode()
        chk.check(re.search(r"^streamgate_log_lines_dropped_total \d+$", text,
                            re.M) is not None,
                  "/metrics has streamgate_log_lines_dropped_total")
        elapsed = time.monotonic() - started

        reader = threading.Thread(target=drain)
        reader.start()
        proc.terminate()
        try:
            rc = proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            rc = "no exit within 30 s of SIGTERM"
        chk.eq(rc, 0, "exit code after SIGTERM")
        os.close(write_fd)
        reader.join(timeout=30)
        log = b"".join(drained).decode("utf-8", "replace")
        held = 0
        for _, reason in REASONS:
            lines = [ln for ln in log.splitlines()
                     if ("rejected: " + reason) in ln]
            chk.check(lines, "a line for '%s'" % reason)
            # One line per reason per second at most (the first at once).
            chk.check(len(lines) <= elapsed + 2,
                      "%d lines for '%s' in %.1f s: rate-limited" % (
                          len(lines), reason, elapsed))
            for ln in lines:
                m = re.search(r"\((\d+) similar lines? held back\)$", ln)
                held += int(m.group(1)) if m else 0
        print("%d rejection lines held back (reported so far)" % held)
        chk.check(KEY not in log, "no key in the log")
        ch.close()

    try:
        return harness.run_checks("stalled_stderr_test", work, chk, body)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


if __name__ == "__main__":
    sys.exit(main())
