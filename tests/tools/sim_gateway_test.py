#!/usr/bin/python3
"""streamgate-sim drives a real gateway; the sink counts match its SUMMARY.

Usage: /usr/bin/python3 sim_gateway_test.py mqtt|grpc STREAMGATE STREAMGATE_SIM
                                            EVENTS_JSON

Starts the gateway (and for mqtt a real mosquitto) on free 127.0.0.1 ports
with two file-sink modules (every event; bulk label "blob"), runs the
simulator a few times, then stops the gateway with SIGTERM and checks that
the sinks hold exactly what the simulator says was acknowledged: per event
type, per device, and the exact bulk record bytes. Exit 0 = pass.
"""

import collections
import json
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "e2e", "lib"))
import harness  # noqa: E402
from harness import Checker, Fatal, Gateway  # noqa: E402
from peers import Mosquitto, count_lines, port_open, wait_for  # noqa: E402

CONFIG = """\
grpc:
  listen: "127.0.0.1:{grpc_port}"
devices:
{devices}
{mqtt}
modules:
  - id: events
    subscribe_events: ["*"]
    sink: {{type: file, path: "{dir}/events.jsonl"}}
  - id: bulk
    bulk_data_label: blob
    sink: {{type: file, path: "{dir}/bulk.jsonl"}}
"""

MQTT = """\
mqtt:
  host: 127.0.0.1
  port: {port}
  client_id: sim-test-gateway
  qos: 1
"""

chk = Checker()
check = chk.check


def sink_records(path, label):
    return [(key, data) for _, key, data in
            harness.read_sink_lines(path, chk, label)]


class Expected:
    """What the simulator's documented message numbering puts in the sinks."""

    def __init__(self, templates):
        self.templates = templates
        self.events = collections.Counter()   # (device, eventType)
        self.bulk = collections.Counter()     # (device, record bytes)

    def add_run(self, messages, devices, first, with_events, bulk_records=0,
                bulk_bytes=32):
        both = with_events and bulk_records is not None and bulk_records > 0
        for m in range(messages):
            is_bulk = (m % 2 == 1) if both else (not with_events)
            k = m // 2 if both else m
            device = first + k % devices
            if is_bulk:
                for j in range(bulk_records):
                    r = ("device %d bulk %d record %d " % (device, k, j))
                    r = r[:bulk_bytes].ljust(bulk_bytes, ".").encode()
                    self.bulk[(str(device), r)] += 1
            else:
                t = self.templates[k % len(self.templates)]
                self.events[(str(device), t["eventType"])] += 1


def run_sim(sim, args, timeout=60):
    proc = subprocess.run([sim] + args, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, timeout=timeout)
    out = proc.stdout.decode()
    summary = {}
    for line in out.splitlines():
        if line.startswith("SUMMARY "):
            summary = dict(kv.split("=", 1) for kv in line.split()[1:])
    print("sim %s -> rc=%d %s" % (" ".join(args), proc.returncode,
                                  out.strip().splitlines()[-1:]), flush=True)
    if proc.returncode != 0:
        print(proc.stderr.decode())
    return proc.returncode, summary, out


def main():
    mode, gateway, sim, events_json = sys.argv[1:5]
    with open(events_json) as f:
        templates = json.load(f)
    work = tempfile.mkdtemp(prefix="sg-sim-test-")
    os.chmod(work, 0o755)
    grpc_port = harness.free_port()
    devices = "\n".join("  - {id: %d, home_id: %d}" % (i, 100 + i)
                        for i in range(1, 11))
    def body():
        broker = None
        gw = None
        try:
            mqtt_section = ""
            if mode == "mqtt":
                broker = Mosquitto(work, extra_conf="log_type all\n").start()
                mqtt_port = broker.port
                mqtt_section = MQTT.format(port=mqtt_port)
            gw = Gateway(gateway, work, CONFIG.format(
                grpc_port=grpc_port, devices=devices, mqtt=mqtt_section, dir=work))
            gw.start()
            if mode == "mqtt":
                gw.wait_log("mqtt: subscribed", "the gateway's MQTT subscription")
            else:
                wait_for(lambda: port_open(grpc_port) or gw.proc.poll() is not None,
                         "the gateway's gRPC port")
                if gw.proc.poll() is not None:
                    raise Fatal("gateway exited at start-up:\n" + gw.log_text())

            expected = Expected(templates)
            acked_records = 0
            if mode == "mqtt":
                target = ["--transport", "mqtt", "--target",
                          "127.0.0.1:%d" % mqtt_port]
                runs = [
                    # events and bulk data from 5 devices on one connection
                    (["--devices", "5", "--events", events_json, "--bulk-label",
                      "blob", "--bulk-records", "3", "--count", "300", "--qos",
                      "1", "--rate", "3000"], 300, 5, 1, True, 3, 32),
                    # one connection per device, username = device id
                    (["--devices", "4", "--first-device-id", "7", "--events",
                      events_json, "--count", "40", "--mqtt-auth-device-id",
                      "--qos", "1"], 40, 4, 7, True, 0, 32),
                ]
            else:
                target = ["--transport", "grpc", "--target",
                          "127.0.0.1:%d" % grpc_port]
                runs = [
                    # Publish stream, batches of 10 events, bulk data between
                    (["--devices", "5", "--events", events_json, "--bulk-label",
                      "blob", "--bulk-records", "2", "--bulk-record-bytes", "40",
                      "--count", "300", "--batch", "10"], 300, 5, 1, True, 2, 40),
                    # unary calls
                    (["--devices", "3", "--first-device-id", "4", "--events",
                      events_json, "--count", "60", "--grpc-mode", "unary",
                      "--inflight", "4"], 60, 3, 4, True, 0, 32),
                ]
            for (args, messages, ndev, first, with_events, bulk_records,
                 bulk_bytes) in runs:
                rc, summary, _ = run_sim(sim, target + args)
                check(rc == 0, "simulator exit code %d" % rc)
                check(summary.get("sent_messages") == str(messages) and
                      summary.get("acked_messages") == str(messages) and
                      summary.get("failed_messages") == "0",
                      "simulator summary %r" % summary)
                expected.add_run(messages, ndev, first, with_events, bulk_records,
                                 bulk_bytes)
                acked_records += int(summary.get("acked_records", "0"))

            # A paced run for a duration: whatever it reports acked must arrive.
            if mode == "grpc":
                rc, summary, out = run_sim(sim, target + [
                    "--devices", "2", "--first-device-id", "9", "--events",
                    events_json, "--rate", "200", "--duration", "1500ms"])
                check(rc == 0, "duration run exit code %d" % rc)
                check("t=1s sent=" in out, "per-second progress line:\n" + out)
                n = int(summary.get("acked_messages", "-1"))
                check(n > 0 and summary.get("failed_messages") == "0",
                      "duration run summary %r" % summary)
                expected.add_run(max(n, 0), 2, 9, True, 0)
                acked_records += max(n, 0)

            want_events = sum(expected.events.values())
            want_bulk = sum(expected.bulk.values())
            check(acked_records == want_events + want_bulk,
                  "simulator acked %d records, expected %d" %
                  (acked_records, want_events + want_bulk))
            events_path = os.path.join(work, "events.jsonl")
            bulk_path = os.path.join(work, "bulk.jsonl")
            try:
                wait_for(lambda: count_lines(events_path) >= want_events and
                         count_lines(bulk_path) >= want_bulk, "the sink records")
            except Fatal as e:
                check(False, "%s: events %d/%d bulk %d/%d" % (
                    e, count_lines(events_path), want_events,
                    count_lines(bulk_path), want_bulk))
            check(gw.stop() == 0, "gateway exit code")

            got_events = collections.Counter()
            for key, data in sink_records(events_path, "events.jsonl"):
                event = json.loads(data)
                check(event.get("originDeviceId") == int(key) and
                      event.get("homeId") == 100 + int(key),
                      "event device/home %r (key %s)" % (event, key))
                t = [t for t in templates if t["eventType"] == event["eventType"]]
                check(len(t) == 1 and event["eventData"] == t[0].get("eventData", {}),
                      "eventData of %r" % event)
                got_events[(key, event["eventType"])] += 1
            got_bulk = collections.Counter(sink_records(bulk_path, "bulk.jsonl"))
            check(got_events == expected.events,
                  "events per (device, type): got %r, expected %r" %
                  (sorted(got_events.items()), sorted(expected.events.items())))
            check(got_bulk == expected.bulk,
                  "bulk records: got %d (%d distinct), expected %d" %
                  (sum(got_bulk.values()), len(got_bulk), want_bulk))
            if mode == "mqtt":
                blog = broker.log_text()
                for d in range(7, 11):
                    check("as sim-device-%d " % d in blog and "u'%d'" % d in blog,
                          "device %d connected with username %d" % (d, d))
            if chk.failures:
                print(gw.log_text()[-3000:])
        finally:
            if gw is not None:
                gw.kill()
                gw.close_files()
            if broker is not None:
                broker.stop()
    return harness.run_checks("sim_gateway_test", work, chk, body)


if __name__ == "__main__":
    sys.exit(main())
