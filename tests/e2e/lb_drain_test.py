#!/usr/bin/env python3
"""Load-balancer drain (issue 5): two gateways (file sinks) behind a real
nginx grpc_pass on loopback; clients stream 20,000 events through nginx
(Publish streams and unary PublishEvent calls) and retry, on a new stream,
every item answered UNAVAILABLE / RESOURCE_EXHAUSTED or left unanswered by a
broken stream (at-least-once). One gateway gets SIGTERM mid-run. Checks:
every event a client saw acknowledged is in one of the two file sinks
(union), the SIGTERMed gateway exits 0 and its log shows the drain order,
and a bad gRPC input lands in the dead-letter file with its raw bytes.

Usage: lb_drain_test.py STREAMGATE_BINARY SOURCE_DIR
"""

import base64
import json
import os
import queue
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
import harness  # noqa: E402

TOTAL = 20000
STREAM_CLIENTS = 4
UNARY_CLIENTS = 2
UNARY_SHARE = 2000          # events sent by unary calls (the rest by streams)
WINDOW = 100                # stream items in flight per round
ITEMS_PER_STREAM = 1000     # then the stream is closed and a new one opened
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"

GATEWAY_CONFIG = """
grpc:
  listen: "127.0.0.1:{port}"
  drain_grace_ms: 1500
  keepalive_time_ms: 10000
  keepalive_timeout_ms: 5000
  max_connection_age_ms: 4000
  max_connection_age_grace_ms: 2000
shutdown_timeout_ms: 15000
dead_letter: {{path: "{dir}/{name}-dead.jsonl", max_bytes: 1048576, keep: 2}}
modules:
  - id: all
    subscribe_events: ["*"]
    sink: {{type: file, path: "{dir}/{name}-sink.jsonl"}}
"""

NGINX_CONFIG = """
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
  upstream gw {{ server 127.0.0.1:{a}; server 127.0.0.1:{b}; keepalive 16; }}
  server {{
    listen 127.0.0.1:{port} http2;
    client_max_body_size 0;
    grpc_read_timeout 60s;
    grpc_send_timeout 60s;
    location / {{ grpc_pass grpc://gw; grpc_next_upstream error timeout; }}
  }}
}}
"""


class Ledger:
    """Which event ids clients saw acknowledged; thread-safe."""

    def __init__(self):
        self.lock = threading.Lock()
        self.acked = set()
        self.retried = 0
        self.broken_streams = 0
        self.unexpected = []

    def ack(self, ids):
        with self.lock:
            self.acked.update(ids)

    def note_retry(self, n, broken=False):
        with self.lock:
            self.retried += n
            if broken:
                self.broken_streams += 1


def make_event(pb, n):
    ev = pb.Event(event_type="lb.test", home_id=7)
    ev.event_data.update({"n": n})
    return ev


RETRY_CODES = (14, 8)  # UNAVAILABLE, RESOURCE_EXHAUSTED


def stream_client(stub, pb, ids, ledger, deadline):
    import grpc
    todo = list(ids)
    req_id = 0
    while todo:
        if time.monotonic() > deadline:
            ledger.unexpected.append("stream client ran out of time with %d left"
                                     % len(todo))
            return
        requests = queue.Queue()

        def gen():
            while True:
                r = requests.get()
                if r is None:
                    return
                yield r
        call = stub.Publish(gen(), timeout=60)
        sent_on_stream = 0
        inflight = {}
        saw_retry = False
        try:
            while todo and sent_on_stream < ITEMS_PER_STREAM and not saw_retry:
                chunk, todo = todo[:WINDOW], todo[WINDOW:]
                for n in chunk:
                    req_id += 1
                    inflight[req_id] = n
                    requests.put(pb.PublishRequest(id=req_id, event=make_event(pb, n)))
                sent_on_stream += len(chunk)
                acked = []
                for _ in range(len(chunk)):
                    resp = next(call)
                    n = inflight.pop(resp.id)
                    if resp.code == 0:
                        acked.append(n)
                    elif resp.code in RETRY_CODES:
                        todo.append(n)
                        ledger.note_retry(1)
                        saw_retry = True  # a fresh stream may reach the other gateway
                    else:
                        ledger.unexpected.append("item %d: code %d %s" %
                                                 (n, resp.code, resp.message))
                ledger.ack(acked)
            requests.put(None)
            for resp in call:  # the server ends the stream
                ledger.unexpected.append("response after half-close: %r" % resp)
        except (grpc.RpcError, StopIteration):
            # Broken stream: its unanswered items were never acknowledged.
            todo.extend(inflight.values())
            ledger.note_retry(len(inflight), broken=True)
            requests.put(None)
            call.cancel()
            time.sleep(0.05)


def unary_client(stub, pb, ids, ledger, deadline):
    import grpc
    for n in ids:
        while True:
            if time.monotonic() > deadline:
                ledger.unexpected.append("unary client ran out of time")
                return
            try:
                stub.PublishEvent(make_event(pb, n), timeout=10)
                ledger.ack([n])
                break
            except grpc.RpcError as e:
                if e.code() in (grpc.StatusCode.UNAVAILABLE,
                                grpc.StatusCode.RESOURCE_EXHAUSTED,
                                grpc.StatusCode.CANCELLED,
                                grpc.StatusCode.INTERNAL,
                                grpc.StatusCode.DEADLINE_EXCEEDED):
                    ledger.note_retry(1)
                    time.sleep(0.02)
                    continue
                ledger.unexpected.append("unary %d: %s %s" % (n, e.code(), e.details()))
                break


def sink_numbers(path, checker, label):
    out = []
    for module, key, data in harness.read_sink_lines(path, checker, label):
        ev = json.loads(data)
        out.append(int(ev["eventData"]["n"]))
    return out


def main():
    if len(sys.argv) < 3:
        print(__doc__)
        return 2
    binary, src = sys.argv[1], sys.argv[2]
    tmp = tempfile.mkdtemp(prefix="lb_drain_")
    harness.generate_stubs(src, os.path.join(tmp, "stubs"))
    import grpc
    from streamgate.v1 import gateway_pb2 as pb
    from streamgate.v1 import gateway_pb2_grpc as pbg

    checker = harness.Checker()
    ports = {"a": harness.free_port(), "b": harness.free_port()}
    gws = {}
    nginx = None
    try:
        for name in ("a", "b"):
            gws[name] = harness.Gateway(binary, tmp, GATEWAY_CONFIG.format(
                port=ports[name], dir=tmp, name=name), name=name)
            gws[name].start()
        for name in ("a", "b"):
            ch = grpc.insecure_channel("127.0.0.1:%d" % ports[name])
            gws[name].wait_serving(ch)
            ch.close()

        # A bad gRPC input goes to the dead-letter file with its raw bytes.
        ch = grpc.insecure_channel("127.0.0.1:%d" % ports["a"])
        bad = pb.Event(event_type="", home_id=7)
        bad.event_data.update({"why": "no type"})
        try:
            pbg.GatewayStub(ch).PublishEvent(bad, timeout=10)
            checker.check(False, "an event without event_type was accepted")
        except grpc.RpcError as e:
            checker.eq(e.code(), grpc.StatusCode.INVALID_ARGUMENT, "bad event code")
        ch.close()
        dead_path = os.path.join(tmp, "a-dead.jsonl")
        lines = open(dead_path).read().splitlines() if os.path.exists(dead_path) else []
        if checker.eq(len(lines), 1, "dead-letter lines after one bad event"):
            dl = json.loads(lines[0])
            checker.eq(dl["source"], "grpc", "dead letter source")
            checker.eq(dl["rpc"], "event", "dead letter rpc")
            checker.check("event_type" in dl["reason"], "dead letter reason: %r"
                          % dl["reason"])
            back = pb.Event()
            back.ParseFromString(base64.b64decode(dl["data"]))
            checker.eq(back, bad, "dead letter data (the serialized Event)")

        nport = harness.free_port()
        with open(os.path.join(tmp, "nginx.conf"), "w") as f:
            f.write(NGINX_CONFIG.format(dir=tmp, a=ports["a"], b=ports["b"],
                                        port=nport))
        nginx = subprocess.Popen(
            [NGINX, "-p", tmp, "-c", os.path.join(tmp, "nginx.conf"),
             "-e", os.path.join(tmp, "nginx-error.log")],
            stdout=subprocess.DEVNULL, stderr=open(os.path.join(tmp, "nginx.stderr"), "wb"))
        nch = grpc.insecure_channel("127.0.0.1:%d" % nport)
        gws["a"].wait_serving(nch)  # through nginx: either gateway answers
        nch.close()

        ledger = Ledger()
        ids = list(range(1, TOTAL + 1))
        unary_ids, stream_ids = ids[:UNARY_SHARE], ids[UNARY_SHARE:]
        deadline = time.monotonic() + 150
        threads = []
        channels = []
        for i in range(STREAM_CLIENTS):
            ch = grpc.insecure_channel("127.0.0.1:%d" % nport)
            channels.append(ch)
            threads.append(threading.Thread(target=stream_client, args=(
                pbg.GatewayStub(ch), pb, stream_ids[i::STREAM_CLIENTS], ledger,
                deadline)))
        for i in range(UNARY_CLIENTS):
            ch = grpc.insecure_channel("127.0.0.1:%d" % nport)
            channels.append(ch)
            threads.append(threading.Thread(target=unary_client, args=(
                pbg.GatewayStub(ch), pb, unary_ids[i::UNARY_CLIENTS], ledger,
                deadline)))
        for t in threads:
            t.start()
        # SIGTERM gateway a once a third of the events were acknowledged.
        while len(ledger.acked) < TOTAL // 3 and any(t.is_alive() for t in threads):
            time.sleep(0.01)
        acked_at_term = len(ledger.acked)
        gws["a"].signal(signal.SIGTERM)
        rc = gws["a"].wait_exit(timeout=40)
        checker.eq(rc, 0, "exit code of the SIGTERMed gateway")
        for t in threads:
            t.join(timeout=max(1, deadline - time.monotonic()))
        for ch in channels:
            ch.close()
        for u in ledger.unexpected[:20]:
            checker.check(False, u)
        checker.check(acked_at_term < TOTAL, "SIGTERM came mid-run (%d acked)"
                      % acked_at_term)
        checker.eq(len(ledger.acked), TOTAL, "events acknowledged")

        gws["b"].signal(signal.SIGTERM)
        checker.eq(gws["b"].wait_exit(timeout=40), 0, "exit code of gateway b")
        got_a = sink_numbers(os.path.join(tmp, "a-sink.jsonl"), checker, "sink a")
        got_b = sink_numbers(os.path.join(tmp, "b-sink.jsonl"), checker, "sink b")
        union = set(got_a) | set(got_b)
        missing = ledger.acked - union
        checker.check(not missing, "%d acknowledged events missing from both "
                      "sinks, e.g. %s" % (len(missing), sorted(missing)[:10]))
        checker.check(len(got_a) > 0 and len(got_b) > 0,
                      "both gateways took events (a %d, b %d)"
                      % (len(got_a), len(got_b)))
        dups = len(got_a) + len(got_b) - len(union)
        with open(gws["a"].stderr_path, "rb") as f:
            log_a = f.read().decode("utf-8", "replace")
        checker.check("received SIGTERM" in log_a and "shutting down" in log_a
                      and "stopped" in log_a and "undelivered" not in log_a,
                      "gateway a log shows a clean drain\n" + gws["a"].stderr_tail())
        print("lb drain: %d events acked (%d at SIGTERM), a %d, b %d, duplicates %d, "
              "items retried %d, broken streams %d" %
              (len(ledger.acked), acked_at_term, len(got_a), len(got_b), dups,
               ledger.retried, ledger.broken_streams))
    except harness.Fatal as e:
        checker.check(False, str(e))
    finally:
        if nginx is not None and nginx.poll() is None:
            nginx.send_signal(signal.SIGQUIT)
            try:
                nginx.wait(timeout=10)
            except subprocess.TimeoutExpired:
                nginx.kill()
                nginx.wait()
        for g in gws.values():
            g.kill()
            g.close_files()
    if checker.failures:
        print("lb_drain_test: %d check(s) FAILED, %d passed (files kept in %s)"
              % (len(checker.failures), checker.passed, tmp))
        return 1
    shutil.rmtree(tmp, ignore_errors=True)
    print("lb_drain_test: all %d checks passed" % checker.passed)
    return 0


if __name__ == "__main__":
    sys.exit(main())
