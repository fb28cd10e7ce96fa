#!/usr/bin/python3
"""End-to-end: devices -> mosquitto -> streamgate (MQTT) -> Kinesis sink ->
kinesalite, next to a file sink with the same subscriptions.

Usage: /usr/bin/python3 mqtt_kinesis_e2e_test.py STREAMGATE_BINARY SOURCE_DIR

Starts mosquitto, kinesalite (from SOURCE_DIR/tests/node_modules) and the real
gateway on free 127.0.0.1 ports, creates a 2-shard stream, publishes with
mosquitto_pub (QoS 1) events and bulk data from registered devices, an
unknown device and bad payloads, stops the gateway with SIGTERM (which flushes
the Kinesis sink), reads every shard back from TRIM_HORIZON and checks:
- the file sink holds exactly the expected records (byte for byte; only the
  gateway-stamped timestamp is matched by pattern);
- the stream holds the same records as the file sink, byte for byte, each
  exactly once, with the device id as partition key, each on the shard whose
  hash-key range holds MD5(partition key);
- the bad inputs are in neither (only in the log).
Exit 0 = pass.
"""

import collections
import hashlib
import os
import re
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "..", "e2e", "lib"))
import harness  # noqa: E402
from harness import Checker, Gateway  # noqa: E402
import kinesis_peer  # noqa: E402
from peers import Mosquitto, count_lines, wait_for  # noqa: E402

STREAM = "mqtt-e2e"
REGION = kinesis_peer.REGION
TS = re.compile(rb'^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{3}|\.\d{6}|\.\d{9})?Z$')
DEVICES = list(range(40, 50))  # registered: 40..49

CONFIG = """\
grpc:
  listen: "127.0.0.1:{grpc_port}"
devices:
{devices}
mqtt:
  host: 127.0.0.1
  port: {mqtt_port}
  client_id: kinesis-e2e-gateway
  qos: 1
modules:
  - id: to-kinesis
    subscribe_events: ["*"]
    bulk_data_label: logs
    sink:
      type: kinesis
      region: {region}
      stream_name: {stream}
      endpoint: "http://127.0.0.1:{kinesis_port}"
      linger_ms: 20
  - id: to-file
    subscribe_events: ["*"]
    bulk_data_label: logs
    sink: {{type: file, path: "{dir}/file.jsonl"}}
"""

def mask_timestamp(data):
    """Event bytes with a well-formed timestamp value replaced by <TS>."""
    m = re.match(rb'^(.*,"timestamp":")([^"]*)(",.*)$', data, re.S)
    if not m or not TS.match(m.group(2)):
        return data
    return m.group(1) + b"<TS>" + m.group(3)


def main():
    binary, src_dir = sys.argv[1], sys.argv[2]
    work = tempfile.mkdtemp(prefix="sg-mqtt-kinesis-e2e-")
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
            client.create_stream(STREAM, 2)

            devices = "\n".join("  - {id: %d, home_id: %d%s}" %
                                (d, 100 + d % 3, ", class: meter" if d % 2 else "")
                                for d in DEVICES)
            gw = Gateway(binary, work, CONFIG.format(
                grpc_port=harness.free_port(), mqtt_port=broker.port,
                kinesis_port=kin.port, dir=work, devices=devices, region=REGION,
                stream=STREAM), env=kinesis_peer.aws_env())
            gw.start()
            gw.wait_log("mqtt: subscribed", "the gateway's MQTT subscription")

            # Good input: 5 events from each registered device (one connection per
            # device), two bulk payloads of 2 records each, and one from a
            # device the registry does not know (bulk data needs no home).
            expected = []  # (partition key, data with <TS>)
            for d in DEVICES:
                lines = []
                for i in range(5):
                    lines.append(b'{"eventType":"reading","eventData":{"i":%d,"s":"d%d"}}'
                                 % (i, d))
                    cls = b',"originDeviceClass":"meter"' if d % 2 else b""
                    expected.append((str(d), b'{"eventType":"reading","eventData":'
                                     b'{"i":%d,"s":"d%d"},"timestamp":"<TS>","homeId":%d,'
                                     b'"originDeviceId":%d%s}' % (i, d, 100 + d % 3, d, cls)))
                broker.publish("/devices/%d/event" % d, lines=lines)
            for d, recs in ((41, [b"hello", b"\x00\xff\n"]), (46, [b"x" * 200, b"{}"]),
                            (999, [b"z"])):
                broker.publish("/devices/%d/bulkData/logs" % d, b"\xa3" b"1.0" +
                               b"".join(bytes([0xc4, len(r)]) + r for r in recs))
                expected += [(str(d), r) for r in recs]

            bad = [
                ("/devices/999/event", b'{"eventType":"reading"}'),   # unknown device
                ("/devices/40/event", b'not json'),
                ("/devices/40/event", b'["eventType"]'),               # not an object
                ("/devices/40/event", b'{"eventType":""}'),
                ("/devices/40/event", b'{"eventType":"t","eventData":[1]}'),
                ("/devices/040/event", b'{"eventType":"reading"}'),   # bad id
                ("/devices/41/bulkData/logs", b"\xa3" b"1.0\xc4\x09abc"),  # short bin
            ]
            for topic, data in bad:
                broker.publish(topic, data)
            # A last good event after the bad ones: they must not stop the rest.
            broker.publish("/devices/49/event",
                           lines=[b'{"eventType":"last","eventData":{}}'])
            expected.append(("49", b'{"eventType":"last","eventData":{},'
                             b'"timestamp":"<TS>","homeId":101,"originDeviceId":49,'
                             b'"originDeviceClass":"meter"}'))

            file_path = os.path.join(work, "file.jsonl")
            wait_for(lambda: count_lines(file_path) >= len(expected),
                     "the file sink records")
            wait_for(lambda: gw.log_text().count("mqtt: rejected message") >= len(bad),
                     "the rejection log lines")
            # SIGTERM flushes the Kinesis queue, then the gateway exits.
            check(gw.stop() == 0, "gateway exit code")

            # The file sink: exactly the expected records, in publish order per
            # device.
            in_file = harness.read_sink_lines(file_path, chk, "file.jsonl")
            check(all(m == "to-file" for m, _, _ in in_file), "file module ids")
            got_file = [(k, d) for _, k, d in in_file]
            check(sorted((k, mask_timestamp(d)) for k, d in got_file) == sorted(expected),
                  "file sink records differ from the expected ones:\n  got %r\n  want %r"
                  % (sorted((k, mask_timestamp(d)) for k, d in got_file)[:5],
                     sorted(expected)[:5]))
            for d in DEVICES:
                seq = [mask_timestamp(x) for k, x in got_file if k == str(d)]
                want = [x for k, x in expected if k == str(d)]
                check(seq == want, "file order for device %d" % d)

            # The stream: the same records byte for byte, each exactly once, on the
            # shard MD5(partition key) selects.
            shards = client.records_by_shard(STREAM)
            check(len(shards) == 2, "stream has %d shards" % len(shards))
            in_stream = []
            for sid, (lo, hi, records) in shards.items():
                check(len(records) > 0, "shard %s got no records" % sid)
                for key, data in records:
                    h = int.from_bytes(hashlib.md5(key.encode()).digest(), "big")
                    check(lo <= h <= hi, "record with key %s is on shard %s" % (key, sid))
                    in_stream.append((key, data))
            stream_count = collections.Counter(in_stream)
            file_count = collections.Counter(got_file)
            check(len(in_stream) == len(got_file),
                  "stream has %d records, file sink %d" % (len(in_stream), len(got_file)))
            check(all(n == 1 for n in stream_count.values()),
                  "duplicates in the stream: %r" %
                  [r for r, n in stream_count.items() if n > 1][:3])
            check(stream_count == file_count,
                  "stream and file differ: only in stream %r, only in file %r" % (
                      list((stream_count - file_count).elements())[:3],
                      list((file_count - stream_count).elements())[:3]))
            check(all(key in {str(d) for d in DEVICES} | {"999"} for key, _ in in_stream),
                  "partition keys are the sending devices' ids")

            text = gw.log_text()
            check("device 999 on '/devices/999/event'" in text, "log names device 999")
            check("'/devices/040/event'" in text, "log names the bad id topic")
            if chk.failures:
                print(text[-4000:])
            else:
                print("%d records in the file sink and in %d shards (%s)" % (
                    len(got_file), len(shards),
                    ", ".join("%s: %d" % (s, len(v[2])) for s, v in sorted(shards.items()))))
        finally:
            if gw is not None:
                gw.kill()
                gw.close_files()
            kin.stop()
            broker.stop()
    return harness.run_checks("mqtt_kinesis_e2e_test", work, chk, body)


if __name__ == "__main__":
    sys.exit(main())
