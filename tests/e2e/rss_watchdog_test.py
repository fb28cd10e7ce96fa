#!/usr/bin/env python3
"""Issue 15 item 1b: HTTP/2 rapid reset straight at the gateway's port (no
nginx front) grows gRPC 1.51's memory by gigabytes and the process stays
up. With limits.max_rss_bytes set, the liveness watchdog must notice and
exit with code 3 (so systemd, Restart=always, starts a fresh process), and
say why. The attack (tests/e2e/lib/rapid_reset.py) runs until the gateway
exits or SECONDS pass; the gateway is killed if it passes 3 GB.

Usage: rss_watchdog_test.py STREAMGATE_BINARY SOURCE_DIR
"""

import os
import signal
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
import harness  # noqa: E402
import rapid_reset  # noqa: E402

SECONDS = 20
MAX_RSS = 192 << 20

CONFIG = """
grpc:
  listen: "127.0.0.1:{port}"
limits:
  max_rss_bytes: {max_rss}
  watchdog_interval_ms: 100
modules:
  - id: all
    subscribe_events: ["*"]
    sink: {{type: file, path: "{dir}/sink.jsonl"}}
"""


def rss_mb(pid):
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024.0
    except OSError:
        pass
    return 0.0


def main():
    binary, src = sys.argv[1], sys.argv[2]
    work = tempfile.mkdtemp(prefix="sg-rsswd-")
    harness.generate_stubs(src, os.path.join(work, "stubs"))
    chk = harness.Checker()
    port = harness.free_port()
    gw = harness.Gateway(binary, work, CONFIG.format(port=port, dir=work,
                                                     max_rss=MAX_RSS))

    def body():
        gw.start()
        gw.serving_channel(port).close()
        peak = [0.0]
        stop = threading.Event()

        def guard():
            while not stop.is_set() and gw.proc.poll() is None:
                peak[0] = max(peak[0], rss_mb(gw.proc.pid))
                if peak[0] > 3000:
                    gw.proc.send_signal(signal.SIGKILL)
                    return
                time.sleep(0.05)
        g = threading.Thread(target=guard, daemon=True)
        g.start()
        deadline = time.monotonic() + SECONDS
        sent = 0
        while gw.proc.poll() is None and time.monotonic() < deadline:
            sent += rapid_reset.attack(port, 2, 2)["streams"]
        stop.set()
        g.join()
        rc = gw.wait_exit(15) if gw.proc.poll() is None else gw.proc.returncode
        print("rapid reset straight at the gateway: %d pairs; peak RSS %.0f MB;"
              " exit code %s" % (sent, peak[0], rc), flush=True)
        chk.eq(rc, 3, "the watchdog's exit code")
        chk.check("exceeds limits.max_rss_bytes (%d)" % MAX_RSS
                  in gw.stderr_text(), "the watchdog says why it exited")

    try:
        return harness.run_checks("rss_watchdog", work, chk, body)
    finally:
        gw.kill()


if __name__ == "__main__":
    sys.exit(main())
