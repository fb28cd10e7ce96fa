#!/usr/bin/python3
"""Golden test of the dead-letter line formats ("nothing else changed").

Usage: /usr/bin/python3 golden_dead_letters_test.py STREAMGATE SOURCE_DIR [--update]

One real gateway with a root dead_letter file, a real mosquitto (MQTT
input) and a local fake Kinesis endpoint (an HTTP server in this process):

  - door rejects, gRPC: invalid events (empty type, bad home_id, bad
    timestamp, unknown device, over limits.max_record_bytes), invalid bulk
    data (bad MessagePack, device 0), an empty and an invalid Publish stream
    item;
  - door rejects, MQTT: bad JSON, unknown device, JSON without eventType, bad
    MessagePack bulk payload, a non-numeric device id in the topic, and a
    payload too big for one line (the line is clipped: "truncated":true);
  - Kinesis given-up records, one module per way to give up:
      kin-ttl      the endpoint answers 500 InternalFailure after 1.5 s, past
                   record_ttl_s: 1, so the first failure is final (attempts 1)
      kin-fatal    400 ResourceNotFoundException (not retryable), for an
                   event and for a binary bulk record
      kin-partial  200 with a per-record ErrorCode InvalidArgumentException
      kin-big      a record over sink.max_record_bytes (never sent, attempts 0)

Every line of the root dead-letter file (and of its rotated copies:
max_bytes is the minimum, 4096, so the file rotates) is read, its "time"
value replaced by "<time>" (only when it is an RFC 3339 UTC time; anything
else is left for the diff to show), and the lines are sorted (their order in
the file is arrival order, not format) and compared exactly, key order and
all, with tests/e2e/golden/dead_letters.jsonl. Events carry fixed
timestamps so the Kinesis "data" is fixed. --update rewrites the file.

Not covered: "sink closed before delivery" lines written at shutdown. With
records still pending at SIGTERM the module's flush and the shutdown
deadline end at the same instant, and the baseline sometimes exits (exit 1)
before those lines are written.
Exit 0 = pass.
"""

import os
import re
import signal
import sys
import tempfile
import time
import traceback

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "lib"))
import golden  # noqa: E402
import harness  # noqa: E402
from fake_kinesis import FakeKinesis  # noqa: E402
from harness import Fatal, Gateway  # noqa: E402
from peers import Mosquitto, read_bytes  # noqa: E402
GOLDEN = os.path.join(golden.GOLDEN_DIR, "dead_letters.jsonl")
CALL_TIMEOUT = 10.0
SETTLE_TIMEOUT = 15.0
TS_SECONDS = 1714564800  # 2024-05-01T12:00:00Z
TIME_FIELD = re.compile(
    r'^\{"time":"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d{1,9})?Z"')

CONFIG = """\
grpc: {{listen: "127.0.0.1:{grpc_port}"}}
limits: {{max_record_bytes: 1024}}
shutdown_timeout_ms: 2000
devices:
  - {{id: 42, home_id: 7, class: thermostat}}
mqtt: {{host: 127.0.0.1, port: {mqtt_port}, client_id: golden-dead-letters, qos: 1}}
dead_letter: {{path: "{dir}/dead/root.jsonl", max_bytes: 4096, keep: 50}}
modules:
  - id: ok
    subscribe_events: ["ok"]
    sink: {{type: file, path: "{dir}/ok.jsonl"}}
  - id: kin-ttl
    subscribe_events: ["kin.ttl"]
    sink: {{type: kinesis, region: us-east-1, stream_name: ttl-stream,
            endpoint: "http://127.0.0.1:{http_port}", linger_ms: 0,
            record_ttl_s: 1}}
  - id: kin-fatal
    subscribe_events: ["kin.fatal"]
    bulk_data_label: kin-bulk
    sink: {{type: kinesis, region: us-east-1, stream_name: missing-stream,
            endpoint: "http://127.0.0.1:{http_port}", linger_ms: 0}}
  - id: kin-partial
    subscribe_events: ["kin.partial"]
    sink: {{type: kinesis, region: us-east-1, stream_name: partial-stream,
            endpoint: "http://127.0.0.1:{http_port}", linger_ms: 0}}
  - id: kin-big
    subscribe_events: ["kin.big"]
    sink: {{type: kinesis, region: us-east-1, stream_name: big-stream,
            endpoint: "http://127.0.0.1:{http_port}", linger_ms: 0,
            max_record_bytes: 64}}
"""


def fake_answer(body):
    """The fake endpoint's answer to PutRecords, by stream name; it never
    stores anything."""
    stream = body.get("StreamName", "")
    n = len(body.get("Records", []))
    if stream == "ttl-stream":
        time.sleep(1.5)  # past record_ttl_s: 1 when the 500 arrives
        return 500, {
            "__type": "InternalFailure",
            "message": "We encountered an internal error. Please try again."}
    if stream == "partial-stream":
        return 200, {"FailedRecordCount": n, "Records": [
            {"ErrorCode": "InvalidArgumentException",
             "ErrorMessage": "record refused by the golden test server"}] * n}
    return 400, {
        "__type": "com.amazonaws.kinesis.v20131202#ResourceNotFoundException",
        "message": "Stream %s under account 123456789012 not found." % stream}


def dead_letter_lines(dead_dir):
    """Every line of root.jsonl and its rotated copies."""
    lines = []
    if os.path.isdir(dead_dir):
        for name in sorted(os.listdir(dead_dir)):
            if name.startswith("root.jsonl"):
                lines.extend(read_bytes(os.path.join(dead_dir, name)).splitlines())
    return lines


def normalise(line):
    text = line.decode("utf-8", "backslashreplace")
    return TIME_FIELD.sub('{"time":"<time>"', text, count=1)


def grpc_inputs(pb, pbg, channel):
    """The gRPC inputs refused at the door; returns how many."""
    import grpc
    from google.protobuf import timestamp_pb2
    stub = pbg.GatewayStub(channel)

    def event(event_type, device=42, **kw):
        ev = pb.Event(event_type=event_type, timestamp=timestamp_pb2.Timestamp(
            seconds=TS_SECONDS, nanos=250000000), **kw)
        if device is not None:
            ev.origin_device_id = device
        return ev

    bad_ts = event("clock")
    bad_ts.timestamp.nanos = -5
    big = event("big")
    big.event_data.update({"pad": "x" * 1100})
    refused = [
        (stub.PublishEvent, pb.Event(event_type="")),
        (stub.PublishEvent, event("temp", home_id=-1)),
        (stub.PublishEvent, bad_ts),
        (stub.PublishEvent, event("temp", device=999)),
        (stub.PublishEvent, big),
        (stub.PublishBulkData, pb.BulkData(device_id=42, label="logs",
                                           msgpack_payload=b"\xa3not-a-map")),
        (stub.PublishBulkData, pb.BulkData(device_id=0, label="logs",
                                           records=[b"q"])),
    ]
    for call, msg in refused:
        try:
            call(msg, timeout=CALL_TIMEOUT)
            print("note: a gRPC input meant to be refused was accepted: %r" % msg)
        except grpc.RpcError:
            pass
    items = [pb.PublishRequest(id=7),
             pb.PublishRequest(id=8, event=pb.Event(event_type="x",
                                                    home_id=-3))]
    try:
        list(stub.Publish(iter(items), timeout=CALL_TIMEOUT))
    except grpc.RpcError as e:
        print("note: Publish stream failed: %s %s" % (e.code(), e.details()))
    return len(refused) + len(items)


def kinesis_inputs(pb, pbg, channel):
    """Records for the Kinesis modules; returns how many should give up."""
    from google.protobuf import timestamp_pb2
    stub = pbg.GatewayStub(channel)
    n = 0
    for i, event_type in enumerate(("kin.ttl", "kin.fatal", "kin.partial",
                                    "kin.big")):
        ev = pb.Event(event_type=event_type, origin_device_id=42,
                      timestamp=timestamp_pb2.Timestamp(seconds=TS_SECONDS + i))
        ev.event_data.update({"module": event_type})
        stub.PublishEvent(ev, timeout=CALL_TIMEOUT)
        n += 1
    stub.PublishBulkData(pb.BulkData(device_id=42, label="kin-bulk",
                                     records=[b"\x00\x01\xfebinary"]),
                         timeout=CALL_TIMEOUT)
    return n + 1


def main():
    (binary, src), update = golden.split_args(sys.argv, __doc__, 2)
    work = tempfile.mkdtemp(prefix="streamgate-golden-dead-letters-")
    gw = broker = server = None
    ok = False
    try:
        harness.generate_stubs(src, os.path.join(work, "stubs"))
        from streamgate.v1 import gateway_pb2 as pb
        from streamgate.v1 import gateway_pb2_grpc as pbg

        server = FakeKinesis(fake_answer)
        broker = Mosquitto(work).start(timeout=10)
        mqtt_port, grpc_port = broker.port, harness.free_port()

        os.environ["AWS_ACCESS_KEY_ID"] = "AKIDSTREAMGATEGOLDEN"
        os.environ["AWS_SECRET_ACCESS_KEY"] = "not-a-real-secret"
        os.environ.pop("AWS_SESSION_TOKEN", None)
        os.environ.pop("AWS_PROFILE", None)
        os.environ["AWS_EC2_METADATA_DISABLED"] = "true"
        gw = Gateway(binary, work, CONFIG.format(
            grpc_port=grpc_port, mqtt_port=mqtt_port,
            http_port=server.port, dir=work))
        gw.start()
        channel = gw.serving_channel(grpc_port, timeout=20)

        # The Kinesis records first: kin-ttl needs 1.5 s of the server's time.
        expected = kinesis_inputs(pb, pbg, channel)
        expected += grpc_inputs(pb, pbg, channel)
        channel.close()

        # MQTT: publish a good event until it reaches the sink, so the
        # gateway's subscription is known to be in place (no log scraping).
        ok_sink = os.path.join(work, "ok.jsonl")

        def subscribed():
            if gw.proc.poll() is not None:
                raise Fatal("gateway exited\n" + gw.stderr_tail())
            broker.publish("/devices/42/event",
                           b'{"eventType":"ok","eventData":{}}',
                           client_id="golden-publisher", timeout=10)
            return golden.wait_until(lambda: read_bytes(ok_sink), 0.5)
        if not golden.wait_until(subscribed, 15, step=0):
            raise Fatal("no MQTT event reached the sink within 15 s\n"
                        + gw.stderr_tail())
        mqtt_bad = [
            ("/devices/42/event", b'{"eventType": "x", "eventData": '),
            ("/devices/999/event", b'{"eventType":"hello","eventData":{}}'),
            ("/devices/42/event", b'{"eventData":{"t":21.5}}'),
            ("/devices/42/bulkData/logs", b"\x93\x01\xc1\xff"),
            ("/devices/abc/event", b'{"eventType":"x","eventData":{}}'),
            ("/devices/42/event", b"{" + b"\xff" * 5000),
        ]
        for topic, payload in mqtt_bad:
            broker.publish(topic, payload, client_id="golden-publisher",
                           timeout=10)
        expected += len(mqtt_bad)

        dead_dir = os.path.join(work, "dead")
        golden.wait_until(lambda: len(dead_letter_lines(dead_dir)) >= expected,
                          SETTLE_TIMEOUT, step=0.1)
        lines = dead_letter_lines(dead_dir)
        if len(lines) != expected:
            print("note: %d dead-letter lines, %d expected (after %.0f s)"
                  % (len(lines), expected, SETTLE_TIMEOUT))
        gw.signal(signal.SIGTERM)
        gw.wait_exit(timeout=20)
        lines = dead_letter_lines(dead_dir)  # nothing more is expected at exit
        actual = "".join(sorted(normalise(ln) + "\n" for ln in lines))
        ok = golden.compare(actual, GOLDEN, update, keep_dir=work)
    except Fatal as e:
        print("FAIL: %s" % e)
    except Exception:
        print("FAIL: exception:\n" + traceback.format_exc())
    finally:
        if gw is not None:
            gw.kill()
            gw.close_files()
        if broker is not None:
            broker.stop()
        if server is not None:
            server.close()
    return golden.verdict("golden_dead_letters_test", ok, work)


if __name__ == "__main__":
    sys.exit(main())
