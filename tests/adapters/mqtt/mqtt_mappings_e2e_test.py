#!/usr/bin/python3
"""End-to-end for generic topic mappings and partition-key templates
(issue 14): devices -> mosquitto -> streamgate (mqtt.mappings) -> a file sink
and a Kinesis sink (kinesalite), plus file sinks keyed by templates.

Usage: /usr/bin/python3 mqtt_mappings_e2e_test.py STREAMGATE_BINARY SOURCE_DIR

Publishes with mosquitto_pub (QoS 1) the AWS IoT seed payload to sensors/1
(mapping `as: record`, device_id ${topic(2)}), JSON objects to
factory/{site}/{device}/telemetry (mapping `as: event`), and bad messages,
stops the gateway with SIGTERM (which flushes the Kinesis sink) and checks:
- the file sink and the stream hold the seed payload byte for byte with
  partition key 1, and the factory messages as MODE events (eventData = the
  payload, compact), the same records byte for byte in both, once each;
- a module with partition_key "${newuuid()}" got a distinct UUIDv4 per record;
- a module with partition_key "${topic(2)}-${payload.line}" got that key;
- the bad messages are in no sink, only in the log, with their reasons.
Exit 0 = pass.
"""

import collections
import os
import re
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "..", "e2e", "lib"))
import harness  # noqa: E402
from harness import UUID4, Checker, Gateway  # noqa: E402
import kinesis_peer  # noqa: E402
from peers import Mosquitto, count_lines, wait_for  # noqa: E402

STREAM = "mappings-e2e"
TS = re.compile(rb'^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{3}|\.\d{6}|\.\d{9})?Z$')
SEED = (b'{"deviceid": "1", "datetime": "2020-05-11 09:42:05", '
        b'"temperature": "33", "humidity": "85"}')

CONFIG = """\
grpc:
  listen: "127.0.0.1:{grpc_port}"
devices:
  - {{id: 1, home_id: 10}}
  - {{id: 7, home_id: 20, class: press}}
mqtt:
  host: 127.0.0.1
  port: {mqtt_port}
  client_id: mappings-e2e-gateway
  qos: 1
  mode_topics: false
  mappings:
    - topic: "sensors/+"
      as: record
      label: sensors
      device_id: "${{topic(2)}}"
    - topic: "factory/+/+/telemetry"
      as: event
      event_type: "${{topic(4)}}"
      device_id: "${{topic(3)}}"
modules:
  - id: to-kinesis
    subscribe_events: ["telemetry"]
    bulk_data_label: sensors
    sink:
      type: kinesis
      region: {region}
      stream_name: {stream}
      endpoint: "http://127.0.0.1:{kinesis_port}"
      linger_ms: 20
  - id: to-file
    subscribe_events: ["telemetry"]
    bulk_data_label: sensors
    sink: {{type: file, path: "{dir}/file.jsonl"}}
  - id: uuids
    bulk_data_label: sensors
    partition_key: "${{newuuid()}}"
    sink: {{type: file, path: "{dir}/uuids.jsonl"}}
  - id: by-site
    subscribe_events: ["telemetry"]
    partition_key: "${{topic(2)}}-${{payload.line}}"
    sink: {{type: file, path: "{dir}/by_site.jsonl"}}
"""


def mask_timestamp(data):
    """Event bytes with a well-formed timestamp value replaced by <TS>."""
    m = re.match(rb'^(.*,"timestamp":")([^"]*)(",.*)$', data, re.S)
    if not m or not TS.match(m.group(2)):
        return data
    return m.group(1) + b"<TS>" + m.group(3)


def main():
    binary, src_dir = sys.argv[1], sys.argv[2]
    work = tempfile.mkdtemp(prefix="sg-mqtt-mappings-e2e-")
    os.chmod(work, 0o755)
    chk = Checker()
    check = chk.check
    broker = Mosquitto(work)
    kin = kinesis_peer.Kinesalite(src_dir, work)

    def body():
        gw = None
        try:
            broker.start()
            kin.start()
            client = kinesis_peer.KinesisClient(kin.port)
            client.create_stream(STREAM, 1)
            gw = Gateway(binary, work, CONFIG.format(
                grpc_port=harness.free_port(), mqtt_port=broker.port,
                kinesis_port=kin.port, dir=work, region=kinesis_peer.REGION,
                stream=STREAM), env=kinesis_peer.aws_env())
            gw.start()
            gw.wait_log("mqtt: subscribed", "the gateway's MQTT subscription")
            check("subscribed to sensors/+, factory/+/+/telemetry at QoS 1"
                  in gw.log_text(), "only the mapped filters are subscribed")

            other = b'{"temperature": 21.5}\n'
            messages = [
                ("sensors/1", SEED),
                ("sensors/7", other),
                ("factory/plant1/7/telemetry",
                 b'{ "rpm" : 1200, "line": "A", "ok": true }'),
                ("factory/plant2/1/telemetry", b'{"rpm":80,"line":"B"}'),
            ]
            bad = [
                ("sensors/abc", SEED),                            # id not a number
                # An event of a device the registry does not know (no
                # default_home_id); a record of one would be accepted.
                ("factory/plant1/999/telemetry", b'{"line":"A"}'),
                ("factory/plant1/7/telemetry", b'not json'),
                ("factory/plant1/7/telemetry", b'[1, 2]'),         # not an object
                ("factory/plant1/007/telemetry", b'{"line":"A"}'),  # bad id
                ("/devices/1/event", b'{"eventType":"x"}'),        # mode_topics off
            ]
            for topic, data in messages + bad:
                broker.publish(topic, data)
            expected_file = [
                ("1", SEED),
                ("7", other),
                ("7", b'{"eventType":"telemetry","eventData":{"rpm":1200,'
                      b'"line":"A","ok":true},"timestamp":"<TS>","homeId":20,'
                      b'"originDeviceId":7,"originDeviceClass":"press"}'),
                ("1", b'{"eventType":"telemetry","eventData":{"rpm":80,'
                      b'"line":"B"},"timestamp":"<TS>","homeId":10,'
                      b'"originDeviceId":1}'),
            ]
            file_path = os.path.join(work, "file.jsonl")
            uuids_path = os.path.join(work, "uuids.jsonl")
            site_path = os.path.join(work, "by_site.jsonl")
            wait_for(lambda: count_lines(file_path) >= len(expected_file) and
                     count_lines(uuids_path) >= 2 and count_lines(site_path) >= 2,
                     "the sink records")
            # /devices/... goes to no subscription with mode_topics off: the
            # broker never delivers it, so 5 rejections.
            wait_for(lambda: gw.log_text().count("mqtt: rejected message") >= 5,
                     "the rejection log lines")
            check(gw.stop() == 0, "gateway exit code")

            in_file = harness.read_sink_lines(file_path, chk, "file.jsonl")
            got_file = [(k, d) for _, k, d in in_file]
            check(sorted((k, mask_timestamp(d)) for k, d in got_file) ==
                  sorted(expected_file),
                  "file sink records: got %r, want %r" % (
                      [(k, mask_timestamp(d)) for k, d in got_file], expected_file))
            check(("1", SEED) in got_file,
                  "the seed payload is in the file sink byte for byte, key 1")

            shards = client.records_by_shard(STREAM)
            in_stream = [r for _, (_, _, records) in shards.items() for r in records]
            check(collections.Counter(in_stream) == collections.Counter(got_file),
                  "stream and file differ: stream %r, file %r" % (in_stream, got_file))
            check(("1", SEED) in in_stream,
                  "the seed payload is in the stream byte for byte, key 1")

            uuids = harness.read_sink_lines(uuids_path, chk, "uuids.jsonl")
            check(sorted(d for _, _, d in uuids) == sorted([SEED, other]),
                  "uuids module records")
            keys = [k for _, k, _ in uuids]
            check(all(UUID4.match(k) for k in keys), "UUIDv4 keys: %r" % keys)
            check(len(set(keys)) == len(keys), "distinct UUIDs: %r" % keys)

            by_site = harness.read_sink_lines(site_path, chk, "by_site.jsonl")
            check(sorted(k for _, k, _ in by_site) == ["plant1-A", "plant2-B"],
                  "template keys: %r" % [k for _, k, _ in by_site])

            text = gw.log_text()
            for needle in [
                    "on 'sensors/abc': device_id ${topic(2)} gave 'abc': device id "
                    "must be a positive decimal integer",
                    "device 999 on 'factory/plant1/999/telemetry': device is not in the "
                    "registry",
                    "on 'factory/plant1/7/telemetry': payload is not valid JSON",
                    "on 'factory/plant1/7/telemetry': payload is not a JSON object",
                    "gave '007': device id must be a positive integer without "
                    "leading zeros"]:
                check(needle in text, "log mentions %r" % needle)
            if chk.failures:
                print(text[-4000:])
        finally:
            if gw is not None:
                gw.kill()
                gw.close_files()
            kin.stop()
            broker.stop()
    return harness.run_checks("mqtt_mappings_e2e_test", work, chk, body)


if __name__ == "__main__":
    sys.exit(main())
