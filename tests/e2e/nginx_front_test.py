#!/usr/bin/env python3
"""Issue 15 item 1d: the shipped nginx front (tools/packaging/
nginx-streamgate.conf, only ports and paths replaced) under HTTP/2 rapid
reset (CVE-2023-44487: HEADERS + RST_STREAM pairs on 2 connections for 6 s,
tests/e2e/lib/rapid_reset.py) aimed at nginx's TLS port. The gateway behind
it must come out unharmed: its resident memory grows by less than
BOUND_MB, and a real gRPC call through nginx (TLS, verified against the
test CA) is answered OK afterwards and reaches the sink. With --direct the
same attack goes straight at the gateway's port instead (no nginx): what
the front protects from; that mode is for measuring, not part of the suite.

Usage: nginx_front_test.py STREAMGATE_BINARY SOURCE_DIR [--direct]
"""

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "lib"))
import harness  # noqa: E402
import rapid_reset  # noqa: E402
import tls_pki  # noqa: E402

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
SECONDS = 6
CONNECTIONS = 2
BOUND_MB = 100

GATEWAY_CONFIG = """
grpc:
  listen: "127.0.0.1:{port}"
modules:
  - id: all
    subscribe_events: ["*"]
    sink: {{type: file, path: "{dir}/sink.jsonl"}}
"""

# The shipped file goes inside http {} as /etc/nginx/conf.d does.
NGINX_MAIN = """
daemon off;
worker_processes 1;
pid {dir}/nginx.pid;
error_log {dir}/nginx-error.log warn;
events {{ worker_connections 1024; }}
http {{
  access_log off;
  client_body_temp_path {dir}/nginx-body;
  proxy_temp_path {dir}/nginx-proxy;
  fastcgi_temp_path {dir}/nginx-fastcgi;
  uwsgi_temp_path {dir}/nginx-uwsgi;
  scgi_temp_path {dir}/nginx-scgi;
  include {dir}/streamgate.conf;
}}
"""


def shipped_config(src, work, gw_port, front_port):
    with open(os.path.join(src, "tools", "packaging",
                           "nginx-streamgate.conf")) as f:
        text = f.read()
    for old, new in (("server 127.0.0.1:50051;", "server 127.0.0.1:%d;" % gw_port),
                     ("listen 50443 ssl http2;",
                      "listen 127.0.0.1:%d ssl http2;" % front_port),
                     ("/etc/streamgate/tls/server.pem",
                      os.path.join(work, "ca1-server.pem")),
                     ("/etc/streamgate/tls/server.key",
                      os.path.join(work, "ca1-server.key"))):
        if old not in text:
            raise harness.Fatal("the shipped nginx config lost %r" % old)
        text = text.replace(old, new)
    return text


def rss_mb(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024.0
    return 0.0


def main():
    binary, src = sys.argv[1], sys.argv[2]
    direct = "--direct" in sys.argv[3:]
    work = tempfile.mkdtemp(prefix="sg-front-")
    harness.generate_stubs(src, os.path.join(work, "stubs"))
    from streamgate.v1 import gateway_pb2 as pb, gateway_pb2_grpc as rpc
    chk = harness.Checker()
    gw_port, front_port = harness.free_port(), harness.free_port()
    gw = harness.Gateway(binary, work,
                         GATEWAY_CONFIG.format(port=gw_port, dir=work))
    procs = {}

    def body():
        tls_pki.make_pki(work)
        with open(os.path.join(work, "streamgate.conf"), "w") as f:
            f.write(shipped_config(src, work, gw_port, front_port))
        with open(os.path.join(work, "nginx.conf"), "w") as f:
            f.write(NGINX_MAIN.format(dir=work))
        gw.start()
        gw.serving_channel(gw_port).close()
        procs["nginx"] = subprocess.Popen(
            [NGINX, "-p", work, "-c", os.path.join(work, "nginx.conf"),
             "-e", os.path.join(work, "nginx-error.log")],
            stdout=subprocess.DEVNULL,
            stderr=open(os.path.join(work, "nginx.stderr"), "wb"))
        front = tls_pki.tls_channel(front_port, os.path.join(work, "ca1.pem"))
        gw.wait_serving(front)
        stub = rpc.GatewayStub(front)
        stub.PublishEvent(pb.Event(event_type="warm", home_id=1), timeout=10)
        before = rss_mb(gw.proc.pid)
        peak = [before]
        stop = threading.Event()

        def sample():
            while not stop.is_set():
                peak[0] = max(peak[0], rss_mb(gw.proc.pid))
                # Protect the machine when the attack hits an unprotected
                # gateway (--direct on gRPC 1.51 grows by gigabytes).
                if peak[0] > before + 3000:
                    gw.proc.send_signal(signal.SIGKILL)
                    return
                time.sleep(0.1)
        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        target = gw_port if direct else front_port
        counts = rapid_reset.attack(target, SECONDS, CONNECTIONS,
                                    tls=not direct)
        time.sleep(1)  # a moment for what the attack left to settle or grow
        stop.set()
        sampler.join()
        alive = gw.proc.poll() is None
        after = rss_mb(gw.proc.pid) if alive else 0.0
        print("attack on %s: %d HEADERS+RST_STREAM pairs on %d connections; "
              "gateway RSS MB: before %.0f, peak %.0f, after %.0f%s" % (
                  "the gateway directly" if direct else "nginx",
                  counts["streams"], counts["connections"], before, peak[0],
                  after, "" if alive else " (killed past +3 GB)"), flush=True)
        chk.check(counts["streams"] > 1000, "the attack sent streams")
        chk.check(alive, "the gateway is alive after the attack")
        chk.check(peak[0] - before < BOUND_MB,
                  "gateway RSS grew by %.0f MB during the attack (bound %d)"
                  % (peak[0] - before, BOUND_MB))
        if not alive:
            return
        ev = pb.Event(event_type="after.attack", home_id=7)
        resp = stub.PublishEvent(ev, timeout=20)
        chk.eq(resp.records, 1, "a call through nginx after the attack")
        front.close()
        chk.eq(gw.stop(), 0, "gateway exit code after SIGTERM")
        lines = harness.read_sink_lines(os.path.join(work, "sink.jsonl"), chk,
                                        "sink")
        chk.check(any(b'"eventType":"after.attack"' in data
                      for _, _, data in lines),
                  "the event after the attack reached the sink")

    try:
        return harness.run_checks("nginx_front", work, chk, body)
    finally:
        gw.kill()
        n = procs.get("nginx")
        if n is not None and n.poll() is None:
            n.send_signal(signal.SIGQUIT)
            try:
                n.wait(timeout=10)
            except subprocess.TimeoutExpired:
                n.kill()
                n.wait()


if __name__ == "__main__":
    sys.exit(main())
