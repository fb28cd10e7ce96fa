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

import os
import re
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "..", "e2e", "lib"))
import harness  # noqa: E402
from harness import UUID4, Checker, Gateway  # noqa: E402
from peers import Mosquitto, count_lines, wait_for  # noqa: E402

TS = re.compile(rb'^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{3}|\.\d{6}|\.\d{9})?Z$')

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
    chk = Checker()
    broker = Mosquitto(work)
    def body():
        gw = None
        try:
            broker.start()
            gw = Gateway(binary, work, CONFIG.format(
                grpc_port=harness.free_port(), mqtt_port=broker.port, dir=work))
            gw.start()
            gw.wait_log("mqtt: subscribed", "the gateway's MQTT subscription")

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
            for topic, data in messages:
                broker.publish(topic, data)

            all_path = os.path.join(work, "all.jsonl")
            alarms_path = os.path.join(work, "alarms.jsonl")
            wait_for(lambda: count_lines(all_path) >= 5 and
                     count_lines(alarms_path) >= 2, "the sink records")
            # The rejected ones are logged (device, topic, reason).
            wait_for(lambda: gw.log_text().count("mqtt: rejected message") >= 6,
                     "the rejection log lines")
            chk.check(gw.stop() == 0, "gateway exit code")

            got = harness.read_sink_lines(all_path, chk, "all.jsonl")
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
            chk.check(len(got) == len(expected_all),
                      "all.jsonl has %d records, expected %d" % (len(got), len(expected_all)))
            for (mod, key, data), (emod, ekey, edata) in zip(got, expected_all):
                chk.check(mod == emod and key == ekey, "module/key %r/%r" % (mod, key))
                actual = data if b"<TS>" not in edata else event_matches(data, 0, 0)
                chk.check(actual == edata, "record: expected %r, got %r" % (edata, data))

            alarms = harness.read_sink_lines(alarms_path, chk, "alarms.jsonl")
            chk.check(len(alarms) == 2, "alarms.jsonl has %d records" % len(alarms))
            for (mod, key, data), edata in zip(alarms, [expected_all[1][2],
                                                         expected_all[4][2]]):
                chk.check(mod == "alarms", "alarms module id")
                chk.check(UUID4.match(key) is not None, "alarms key is a UUIDv4: " + key)
                chk.check(event_matches(data, 0, 0) == edata, "alarms record %r" % data)

            text = gw.log_text()
            for needle in ["device 999 on '/devices/999/event'",
                           "device 42 on '/devices/42/event': payload is not valid JSON",
                           "eventType: must not be empty",
                           "eventData: must be a JSON object",
                           "'/devices/007/event'",
                           "device 42 on '/devices/42/bulkData/logs'"]:
                chk.check(needle in text, "log mentions %r" % needle)
            if chk.failures:
                print(text[-4000:])
        finally:
            if gw is not None:
                gw.kill()
                gw.close_files()
            broker.stop()
    return harness.run_checks("mqtt_gateway_e2e_test", work, chk, body)


if __name__ == "__main__":
    sys.exit(main())
