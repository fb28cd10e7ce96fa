#!/usr/bin/python3
"""End-to-end against a second MQTT broker: devices -> aedes (npm, an
independent MQTT 3.1.1 implementation) -> streamgate -> file sink.

Usage: /usr/bin/python3 aedes_e2e_test.py STREAMGATE_BINARY SOURCE_DIR

The core cases of the mosquitto end-to-end tests, through aedes:
 1. the gateway starts before its broker (no mqtt.start_timeout_ms): it
    keeps retrying and joins aedes once aedes is up;
 2. events, bulk data and bad payloads: the records byte for byte, the bad
    ones only in the log;
 3. the gateway away: 300 QoS 1 messages queued by aedes for its persistent
    session all arrive after the restart, each exactly once;
 4. aedes restarted (its sessions gone): the gateway reconnects,
    subscribes again, and new messages arrive.
Exit 0 = pass.
"""

import json
import os
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "lib"))
import harness  # noqa: E402
from harness import Checker, Gateway  # noqa: E402
from peers import Aedes, count_lines, wait_for  # noqa: E402

CONFIG = """\
grpc:
  listen: "127.0.0.1:{grpc_port}"
devices:
  - {{id: 42, home_id: 7, class: thermostat}}
  - {{id: 43, home_id: 8}}
mqtt:
  host: 127.0.0.1
  port: {mqtt_port}
  protocol: "3.1.1"
  client_id: aedes-gateway
  qos: 1
  reconnect_min_ms: 50
  reconnect_max_ms: 500
modules:
  - id: all
    subscribe_events: ["*"]
    bulk_data_label: logs
    sink: {{type: file, path: "{dir}/all.jsonl"}}
"""


def records(path, chk):
    """(key, data) of every record in the file sink."""
    return [(key, data) for _, key, data in
            harness.read_sink_lines(path, chk, os.path.basename(path))]


def seq_of(data):
    return json.loads(data)["eventData"]["i"]


def main():
    binary, src_dir = sys.argv[1], sys.argv[2]
    work = tempfile.mkdtemp(prefix="sg-aedes-e2e-")
    os.chmod(work, 0o755)
    chk = Checker()
    broker = Aedes(work, src_dir)
    all_path = os.path.join(work, "all.jsonl")
    config = CONFIG.format(grpc_port=harness.free_port(),
                           mqtt_port=broker.port, dir=work)

    def body():
        gw = None
        try:
            # 1. No broker yet: the gateway starts and keeps trying.
            gw = Gateway(binary, work, config, name="gw1")
            gw.start()
            gw.wait_log("not reachable at start-up", "the start-up retry")
            chk.check(gw.proc.poll() is None, "gateway runs without its broker")
            broker.start()
            gw.wait_log("mqtt: subscribed", "the subscription once aedes is up")

            # 2. Events, bulk data, rejects.
            bulk = b"\xa3" b"1.0" + b"\xc4\x05hello"
            broker.publish("/devices/42/event",
                           b'{ "eventType" : "temp", "eventData" : { "c" : 21.5 } }')
            broker.publish("/devices/999/event", b'{"eventType":"temp"}')
            broker.publish("/devices/42/event", b"not json")
            broker.publish("/devices/43/bulkData/logs", bulk)
            wait_for(lambda: count_lines(all_path) >= 2, "the first records")
            wait_for(lambda: gw.log_text().count("mqtt: rejected message") >= 2,
                     "the rejection log lines")
            got = records(all_path, chk)
            chk.check(len(got) == 2, "2 records, got %d" % len(got))
            if len(got) == 2:
                chk.check(got[0][0] == "42" and got[0][1].startswith(
                    b'{"eventType":"temp","eventData":{"c":21.5},"timestamp":"'),
                          "event record %r" % (got[0],))
                chk.check(got[0][1].endswith(
                    b'"homeId":7,"originDeviceId":42,'
                    b'"originDeviceClass":"thermostat"}'),
                          "event record tail %r" % (got[0][1],))
                chk.check(got[1] == ("43", b"hello"), "bulk record %r" % (got[1],))

            # 3. The gateway away: aedes queues for its session.
            chk.check(gw.stop() == 0, "first gateway exit code")
            lines = [b'{"eventType":"q","eventData":{"i":%d}}' % i
                     for i in range(300)]
            broker.publish("/devices/42/event", lines=lines)
            gw = Gateway(binary, work, config, name="gw2")
            gw.start()
            gw.wait_log("session present: yes", "the resumed session")
            wait_for(lambda: count_lines(all_path) >= 302, "the queued records")
            queued = [seq_of(d) for _, d in records(all_path, chk)[2:]]
            chk.check(sorted(queued) == list(range(300)),
                      "each queued message exactly once (got %d)" % len(queued))
            chk.check(queued == list(range(300)), "queued messages in order")

            # 4. aedes restarted without its sessions.
            broker.stop()
            gw.wait_log("mqtt: connection to", "the lost connection")
            broker.start()
            wait_for(lambda: gw.log_text().count("mqtt: subscribed") >= 2,
                     "the subscription after the broker restart")
            broker.publish("/devices/42/event",
                           b'{"eventType":"q","eventData":{"i":1000}}')
            wait_for(lambda: count_lines(all_path) >= 303, "the record after it")
            chk.check(seq_of(records(all_path, chk)[-1][1]) == 1000,
                      "the message after the restart")
            chk.check(gw.stop() == 0, "second gateway exit code")
            if chk.failures:
                print(gw.log_text()[-4000:])
                print(broker.log_text()[-2000:])
        finally:
            if gw is not None:
                gw.kill()
                gw.close_files()
            broker.stop()
    return harness.run_checks("aedes_e2e_test", work, chk, body)


if __name__ == "__main__":
    sys.exit(main())
