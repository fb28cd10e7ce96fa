#!/usr/bin/python3
"""End-to-end: devices -> mosquitto -> streamgate (MQTT adapter) -> file sink.

Usage: /usr/bin/python3 mqtt_gateway_e2e_test.py STREAMGATE_BINARY

Starts mosquitto and the real gateway on free 127.0.0.1 ports, publishes
events and bulk data with mosquitto_pub (QoS 1) for registered and unknown
devices plus bad payloads, waits for the records, stops the gateway with
SIGTERM and checks every sink line byte for byte (only the gateway-stamped
timestamp is matched by pattern). The bad inputs must only be in the log.
Exit 0 = pass.
"""

import base64
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

MOSQUITTO = "/usr/sbin/mosquitto"
MOSQUITTO_PUB = "/usr/bin/mosquitto_pub"
TS = re.compile(rb'^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{3}|\.\d{6}|\.\d{9})?Z$')
LINE = re.compile(rb'^\{"module":"([^"]+)","partitionKey":"([^"]+)",'
                  rb'"data":"([A-Za-z0-9+/=]*)"\}$')
UUID4 = re.compile(r'^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-'
                   r'[0-9a-f]{12}$')

CONFIG = """\
grpc:
  listen: "127.0.0.1:{grpc_port}"
devices:
  - {{id: 42, home_id: 7, class: thermostat}}
  - {{id: 43, home_id: 8}}
mqtt:
  host: 127.0.0.1
  port: {mqtt_port}
  client_id: e2e-gateway
  qos: 1
modules:
  - id: all
    subscribe_events: ["*"]
    bulk_data_label: logs
    sink: {{type: file, path: "{dir}/all.jsonl"}}
  - id: alarms
    subscribe_events: ["alarm"]
    use_uuid: true
    sink: {{type: file, path: "{dir}/alarms.jsonl"}}
"""

failures = []


def check(cond, what):
    if not cond:
        failures.append(what)
        print("FAIL: " + what, flush=True)
    return cond


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(pred, what, timeout=30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if pred():
            return True
        time.sleep(0.05)
    raise RuntimeError("timed out waiting for " + what)


def read(path):
    try:
        with open(path, "rb") as f:
            return f.read()
    except OSError:
        return b""


def publish(port, topic, payload_path):
    subprocess.run([MOSQUITTO_PUB, "-h", "127.0.0.1", "-p", str(port),
                    "-q", "1", "-t", topic, "-f", payload_path],
                   check=True, timeout=30)


def sink_lines(path):
    raw = read(path)
    check(raw == b"" or raw.endswith(b"\n"), path + ": unterminated line")
    out = []
    for line in raw.split(b"\n")[:-1] if raw else []:
        m = LINE.match(line)
        if check(m is not None, "bad sink line shape: %r" % line[:200]):
            out.append((m.group(1).decode(), m.group(2).decode(),
                        base64.b64decode(m.group(3), validate=True)))
    return out


def event_matches(actual, before_ts, after_ts):
    """Splits actual event bytes around the timestamp value."""
    m = re.match(rb'^(.*,"timestamp":")([^"]*)(",.*)$', actual)
    if not m or not TS.match(m.group(2)):
        return None
    return m.group(1) + b"<TS>" + m.group(3)


def main():
    binary = sys.argv[1]
    work = tempfile.mkdtemp(prefix="sg-mqtt-e2e-")
    os.chmod(work, 0o755)
    mqtt_port, grpc_port = free_port(), free_port()
    with open(os.path.join(work, "mosquitto.conf"), "w") as f:
        f.write("listener %d 127.0.0.1\nallow_anonymous true\n"
                "persistence false\nlog_dest stdout\n" % mqtt_port)
    broker_log = open(os.path.join(work, "mosquitto.log"), "wb")
    broker = subprocess.Popen([MOSQUITTO, "-c",
                               os.path.join(work, "mosquitto.conf")],
                              stdout=broker_log, stderr=subprocess.STDOUT)
    gw = None
    try:
        def broker_up():
            try:
                socket.create_connection(("127.0.0.1", mqtt_port), 0.2).close()
                return True
            except OSError:
                return False
        wait_for(broker_up, "mosquitto")

        with open(os.path.join(work, "gw.yaml"), "w") as f:
            f.write(CONFIG.format(grpc_port=grpc_port, mqtt_port=mqtt_port,
                                  dir=work))
        gw_err_path = os.path.join(work, "gw.stderr")
        gw_err = open(gw_err_path, "wb")
        gw_out = open(os.path.join(work, "gw.stdout"), "wb")
        gw = subprocess.Popen([binary, "--config", os.path.join(work, "gw.yaml")],
                              stdout=gw_out, stderr=gw_err,
                              stdin=subprocess.DEVNULL)
        log = lambda: read(gw_err_path) + read(os.path.join(work, "gw.stdout"))
        wait_for(lambda: b"mqtt: subscribed" in log() or gw.poll() is not None,
                 "the gateway's MQTT subscription")
        if gw.poll() is not None:
            raise RuntimeError("gateway exited at start-up:\n" + log().decode())

        bulk = b"\xa3" b"1.0" + b"\xc4\x05hello" + b"\xc4\x02\x00\xff"
        messages = [
            ("/devices/42/event",
             b'{ "eventType" : "temp", "eventData" : { "c" : 21.5, "s": "a b" } }'),
            ("/devices/43/event", b'{"eventType":"alarm"}'),
            ("/devices/999/event", b'{"eventType":"temp"}'),       # unknown
            ("/devices/42/event", b'not json'),                     # bad JSON
            ("/devices/42/event", b'{"eventType":""}'),             # empty type
            ("/devices/42/event", b'{"eventType":"t","eventData":7}'),
            ("/devices/007/event", b'{"eventType":"temp"}'),        # bad id
            ("/devices/42/bulkData/logs", bulk),
            ("/devices/42/bulkData/logs", b"\xa3" b"2.0"),         # bad msgpack
            ("/devices/43/bulkData/other", bulk),                   # no module
            ("/devices/43/event", b'{"eventType":"alarm","eventData":{"z":[1,{"y":null}]}}'),
        ]
        payload = os.path.join(work, "payload.bin")
        for topic, data in messages:
            with open(payload, "wb") as f:
                f.write(data)
            publish(mqtt_port, topic, payload)

        all_path = os.path.join(work, "all.jsonl")
        alarms_path = os.path.join(work, "alarms.jsonl")
        wait_for(lambda: read(all_path).count(b"\n") >= 5 and
                 read(alarms_path).count(b"\n") >= 2,
                 "the sink records")
        # The rejected ones are logged (device, topic, reason).
        wait_for(lambda: log().count(b"mqtt: rejected message") >= 6,
                 "the rejection log lines")
        gw.send_signal(signal.SIGTERM)
        check(gw.wait(timeout=30) == 0, "gateway exit code")

        got = sink_lines(all_path)
        expected_all = [
            ("all", "42", b'{"eventType":"temp","eventData":{"c":21.5,"s":"a b"},'
                          b'"timestamp":"<TS>","homeId":7,"originDeviceId":42,'
                          b'"originDeviceClass":"thermostat"}'),
            ("all", "43", b'{"eventType":"alarm","eventData":{},"timestamp":"<TS>",'
                          b'"homeId":8,"originDeviceId":43}'),
            ("all", "42", b"hello"),
            ("all", "42", b"\x00\xff"),
            ("all", "43", b'{"eventType":"alarm","eventData":{"z":[1,{"y":null}]},'
                          b'"timestamp":"<TS>","homeId":8,"originDeviceId":43}'),
        ]
        check(len(got) == len(expected_all),
              "all.jsonl has %d records, expected %d" % (len(got), len(expected_all)))
        for (mod, key, data), (emod, ekey, edata) in zip(got, expected_all):
            check(mod == emod and key == ekey, "module/key %r/%r" % (mod, key))
            actual = data if b"<TS>" not in edata else event_matches(data, 0, 0)
            check(actual == edata, "record: expected %r, got %r" % (edata, data))

        alarms = sink_lines(alarms_path)
        check(len(alarms) == 2, "alarms.jsonl has %d records" % len(alarms))
        for (mod, key, data), edata in zip(alarms, [expected_all[1][2],
                                                     expected_all[4][2]]):
            check(mod == "alarms", "alarms module id")
            check(UUID4.match(key) is not None, "alarms key is a UUIDv4: " + key)
            check(event_matches(data, 0, 0) == edata, "alarms record %r" % data)

        text = log().decode("utf-8", "replace")
        for needle in ["device 999 on '/devices/999/event'",
                       "device 42 on '/devices/42/event': payload is not valid JSON",
                       "eventType: must not be empty",
                       "eventData: must be a JSON object",
                       "'/devices/007/event'",
                       "device 42 on '/devices/42/bulkData/logs'"]:
            check(needle in text, "log mentions %r" % needle)
        if failures:
            print(text[-4000:])
    finally:
        if gw is not None and gw.poll() is None:
            gw.kill()
            gw.wait()
        broker.terminate()
        broker.wait()
        shutil.rmtree(work, ignore_errors=True)
    print("%s: %d failures" % ("FAIL" if failures else "PASS", len(failures)))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
