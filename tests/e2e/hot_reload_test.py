#!/usr/bin/python3
"""Hot reload (issue 16 item 2), end to end: a gateway with file-sink
modules A and B (B on a spool), gRPC load on one channel (a Publish stream
and unary calls), then SIGHUP with a config that adds C, changes B (its
subscriptions and file; the same spool folder) and removes A; then a
SIGHUP that changes grpc.listen, which is refused with the config kept.
The gateway is also subscribed to a mosquitto broker: MQTT bulk messages
sent in each phase are delivered by the version in force, and the MQTT
session is never dropped (one connect, no disconnect).

Checked afterwards, from the sink files: every acknowledged record is
in exactly the files of one config version — A's and B's old file (before
the switch) or B's new file and C's (after) — never in a mix, never
twice, and no record that was not acknowledged (refusals are allowed while
B's spool changes hands; the client retries them). The switch happens once
per sender (no record of the old version after one of the new). The same
channel and the same stream carry on across both reloads. /metrics counts
one reload of each result and no longer shows module A.

No timing is asserted. Usage: hot_reload_test.py STREAMGATE SOURCE_DIR
"""

import os
import re
import signal
import sys
import tempfile
import threading
import time
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "lib"))
import harness  # noqa: E402
import peers  # noqa: E402

CALL_TIMEOUT = 30
# Records each sender sends at least before the first reload, and after
# each reload (bounds the run; not a timing).
WARMUP = 300
AFTER = 300

V1 = """\
grpc: {{listen: "127.0.0.1:{port}"}}
metrics: {{listen: "127.0.0.1:{mport}"}}
mqtt: {{host: 127.0.0.1, port: {mqtt_port}, client_id: hot-reload-gw, qos: 1}}
modules:
  - id: A
    bulk_data_label: t
    sink: {{type: file, path: "{dir}/A.jsonl"}}
  - id: B
    bulk_data_label: t
    sink: {{type: file, path: "{dir}/B1.jsonl"}}
    spool: {{dir: "{dir}/spool-B", fsync: 5}}
"""

# B: new subscriptions (events too) and a new file, same spool folder.
V2 = """\
grpc: {{listen: "127.0.0.1:{port}"}}
metrics: {{listen: "127.0.0.1:{mport}"}}
mqtt: {{host: 127.0.0.1, port: {mqtt_port}, client_id: hot-reload-gw, qos: 1}}
modules:
  - id: B
    subscribe_events: [ping]
    bulk_data_label: t
    sink: {{type: file, path: "{dir}/B2.jsonl"}}
    spool: {{dir: "{dir}/spool-B", fsync: 5}}
  - id: C
    bulk_data_label: t
    sink: {{type: file, path: "{dir}/C.jsonl"}}
"""


def main():
    binary, src = sys.argv[1], sys.argv[2]
    work = tempfile.mkdtemp(prefix="sg-hotreload-")
    chk = harness.Checker()

    def body():
        harness.generate_stubs(src, os.path.join(work, "stubs"))
        import grpc
        from streamgate.v1 import gateway_pb2 as pb, gateway_pb2_grpc as pbg

        port, mport = harness.free_port(), harness.free_port()
        cfg = os.path.join(work, "gw.yaml")
        broker = peers.Mosquitto(work).start()

        def write_config(text, **extra):
            args = dict(port=port, mport=mport, dir=work,
                        mqtt_port=broker.port)
            args.update(extra)
            with open(cfg + ".tmp", "w") as f:
                f.write(text.format(**args))
            os.rename(cfg + ".tmp", cfg)

        write_config(V1)
        gw = harness.Gateway(binary, work, open(cfg).read())
        gw.start()
        try:
            run(gw, grpc, pb, pbg, write_config, port, mport, broker)
        finally:
            gw.stop()
            broker.stop()
        if gw.proc.returncode != 0:
            chk.check(False, "gateway exit code %s" % gw.proc.returncode)
        verify()

    lock = threading.Lock()
    acked = {}        # record -> sender
    sent_order = {"s": [], "u": []}  # acknowledged records, in ack order
    refused = []      # (code, message) of refused attempts
    stream_end = []
    stop = threading.Event()

    mqtt_sent = []

    def mqtt_phase(gw, broker, mport, count):
        # One MQTT bulk message per record ("1.0" header, one bin record);
        # returns once the gateway has taken them all, so each phase is
        # routed by the config of that phase.
        records = ["m-%07d" % (len(mqtt_sent) + i) for i in range(count)]
        broker.publish("/devices/9/bulkData/t", lines=[
            b"\xa3" b"1.0" + b"\xc4\x09" + r.encode() for r in records])
        mqtt_sent.extend(records)
        want = 'streamgate_mqtt_messages_accepted_total{kind="bulk"} %d\n' % (
            len(mqtt_sent))
        peers.wait_for(lambda: want in urllib.request.urlopen(
            "http://127.0.0.1:%d/metrics" % mport,
            timeout=CALL_TIMEOUT).read().decode(),
            "the gateway taking %d MQTT messages" % len(mqtt_sent), 60)

    def run(gw, grpc, pb, pbg, write_config, port, mport, broker):
        gw.wait_log("mqtt: subscribed", "the MQTT subscription")
        ch = gw.serving_channel(port)
        stub = pbg.GatewayStub(ch)
        counts = {"s": 0, "u": 0}

        def note_ok(sender, record):
            with lock:
                acked[record] = sender
                sent_order[sender].append(record)
                counts[sender] += 1

        # The stream: one record per request; a refused one is sent again
        # under a new id (the gateway delivered nothing of it).
        pending = threading.Semaphore(32)
        outstanding = {}  # id -> record

        def requests():
            rid = 0
            n = 0
            retry = []
            while not stop.is_set():
                pending.acquire()
                rid += 1
                with lock:
                    record = retry.pop() if retry else None
                    if record is None:
                        n += 1
                        record = b"s-%07d" % n
                    outstanding[rid] = (record, retry)
                yield pb.PublishRequest(id=rid, bulk_data=pb.BulkData(
                    device_id=7, label="t", records=[record]))

        def stream_worker():
            try:
                for resp in stub.Publish(requests(), timeout=240):
                    with lock:
                        record, retry = outstanding.pop(resp.id)
                    if resp.code == 0:
                        note_ok("s", record.decode())
                    else:
                        with lock:
                            refused.append((resp.code, resp.message))
                            retry.append(record)
                    pending.release()
                stream_end.append("OK")
            except grpc.RpcError as err:
                stream_end.append("%s %s" % (err.code().name, err.details()))

        def unary_worker():
            n = 0
            record = None
            while not stop.is_set():
                if record is None:
                    n += 1
                    record = "u-%07d" % n
                try:
                    stub.PublishBulkData(pb.BulkData(
                        device_id=8, label="t", records=[record.encode()]),
                        timeout=CALL_TIMEOUT)
                    note_ok("u", record)
                    record = None
                except grpc.RpcError as err:
                    with lock:
                        refused.append((err.code().name, err.details()))
                    if err.code() != grpc.StatusCode.RESOURCE_EXHAUSTED:
                        return

        def wait_counts(target, what):
            # Progress of both senders, or a dead gateway/sender, ends it;
            # the limit only turns a hang into a failure.
            limit = time.monotonic() + 120
            while True:
                with lock:
                    done = all(counts[s] >= target[s] for s in counts)
                if done:
                    return
                if gw.proc.poll() is not None:
                    raise harness.Fatal("gateway exited during " + what)
                if stream_end:
                    raise harness.Fatal("stream ended during %s: %s"
                                        % (what, stream_end))
                if time.monotonic() > limit:
                    raise harness.Fatal("no progress during %s: %s\n%s"
                                        % (what, counts, gw.stderr_tail()))
                stop.wait(0.01)

        threads = [threading.Thread(target=stream_worker),
                   threading.Thread(target=unary_worker)]
        for t in threads:
            t.start()
        try:
            wait_counts({"s": WARMUP, "u": WARMUP}, "warm-up")
            mqtt_phase(gw, broker, mport, 50)
            write_config(V2)
            gw.signal(signal.SIGHUP)
            gw.wait_log("SIGHUP: config reloaded: modules added [C], "
                        "changed [B], removed [A]", "the reload", timeout=60)
            with lock:
                target = {s: counts[s] + AFTER for s in counts}
            wait_counts(target, "the load after the reload")
            mqtt_phase(gw, broker, mport, 50)

            # A change that needs a restart: refused, the config kept.
            write_config(V2.replace('listen: "127.0.0.1:{port}"',
                                    'listen: "127.0.0.1:{other}"'),
                         other=harness.free_port())
            gw.signal(signal.SIGHUP)
            gw.wait_log("SIGHUP: reload refused: grpc.listen cannot change "
                        "live (restart needed); keeping the current config",
                        "the refused reload", timeout=60)
            with lock:
                target = {s: counts[s] + AFTER for s in counts}
            wait_counts(target, "the load after the refused reload")
            mqtt_phase(gw, broker, mport, 50)
            # B's new subscription: an event goes to B only.
            stub.PublishEvent(pb.Event(event_type="ping", home_id=5),
                              timeout=CALL_TIMEOUT)
        finally:
            stop.set()
            for t in threads:
                t.join(timeout=60)
        chk.eq(stream_end, ["OK"], "the Publish stream ran through both "
                                   "reloads")
        metrics = urllib.request.urlopen(
            "http://127.0.0.1:%d/metrics" % mport,
            timeout=CALL_TIMEOUT).read().decode()
        chk.check('streamgate_config_reloads_total{result="ok"} 1' in metrics,
                  "metrics: one reload ok")
        chk.check('streamgate_config_reloads_total{result="refused"} 1'
                  in metrics, "metrics: one reload refused")
        chk.check('module="A"' not in metrics,
                  "metrics: module A's families are gone")
        chk.check('module="C"' in metrics, "metrics: module C is there")
        chk.check("streamgate_mqtt_connects_total 1\n" in metrics,
                  "metrics: one MQTT connect (the session was never dropped)")
        chk.check("streamgate_mqtt_disconnects_total 0\n" in metrics,
                  "metrics: no MQTT disconnect")
        for code, message in refused:
            # Only B's spool changing hands may refuse an input.
            chk.check(str(code) in ("8", "RESOURCE_EXHAUSTED"),
                      "refused with %s %s" % (code, message))

    def verify():
        files = {}
        for name in ("A", "B1", "B2", "C"):
            lines = harness.read_sink_lines(
                os.path.join(work, name + ".jsonl"), chk, name)
            data = [d.decode() for (_, _, d) in lines
                    if d.startswith((b"s-", b"u-", b"m-"))]
            chk.eq(len(data), len(set(data)), "%s: no duplicates" % name)
            files[name] = set(data)
            if name == "B2":
                events = [d for (_, _, d) in lines if b'"eventType":"ping"' in d]
                chk.eq(len(events), 1, "B2: the ping event")
        old = files["A"]
        new = files["C"]
        chk.eq(files["B1"], old, "B's old file has exactly A's records")
        chk.eq(files["B2"], new, "B's new file has exactly C's records")
        chk.eq(old & new, set(), "no record in both versions")
        # MQTT records are acknowledged to the broker, not to us: the ones
        # sent must all be there (read after the gateway stopped).
        acked_set = set(acked) | set(mqtt_sent)
        chk.eq(sorted(acked_set - (old | new))[:10], [],
               "acknowledged records missing from the files")
        chk.eq(sorted((old | new) - acked_set)[:10], [],
               "records in the files that were never acknowledged")
        sent_order["m"] = list(mqtt_sent)
        for sender, order in sent_order.items():
            versions = ["old" if r in old else "new" for r in order]
            switches = sum(1 for a, b in zip(versions, versions[1:]) if a != b)
            chk.eq(switches, 1, "%s: records switch from old to new once"
                   % sender)
            chk.check(versions[:1] == ["old"] and versions[-1:] == ["new"],
                      "%s: starts old, ends new" % sender)
        print("acknowledged %d records (%d MQTT): %d old, %d new; %d refused "
              "attempts" % (len(acked_set), len(mqtt_sent), len(old),
                            len(new), len(refused)))

    return harness.run_checks("hot_reload", work, chk, body)


if __name__ == "__main__":
    sys.exit(main())
