#!/usr/bin/env python3
"""Dead letters at the door, end to end: a real mosquitto and the real
gateway; bad MQTT payloads (bad JSON, unknown device, bad MessagePack), a
bad gRPC bulk payload, a gRPC event with an out-of-range timestamp and an
empty Publish stream item each land in the root dead-letter file as one JSON line
with source, reason, topic/rpc, device and the raw bytes in base64; a good
event still reaches the sink.

Usage: dead_letter_e2e_test.py STREAMGATE_BINARY SOURCE_DIR
"""

import base64
import json
import os
import shutil
import signal
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
import harness  # noqa: E402
from peers import Mosquitto, read_bytes as read, wait_for  # noqa: E402

CONFIG = """
grpc: {{listen: "127.0.0.1:{grpc_port}"}}
devices: [{{id: 42, home_id: 7}}]
mqtt: {{host: 127.0.0.1, port: {mqtt_port}, client_id: dl-e2e, qos: 1}}
dead_letter: {{path: "{dir}/dead/doors.jsonl", max_bytes: 65536, keep: 1}}
modules:
  - id: all
    subscribe_events: ["*"]
    bulk_data_label: "*"
    sink: {{type: file, path: "{dir}/all.jsonl"}}
"""


def main():
    binary, src = sys.argv[1], sys.argv[2]
    work = tempfile.mkdtemp(prefix="dl_e2e_")
    harness.generate_stubs(src, os.path.join(work, "stubs"))
    import grpc
    from streamgate.v1 import gateway_pb2 as pb
    from streamgate.v1 import gateway_pb2_grpc as pbg
    checker = harness.Checker()
    grpc_port = harness.free_port()
    broker = Mosquitto(work)
    gw = None
    try:
        broker.start()
        mqtt_port = broker.port
        gw = harness.Gateway(binary, work, CONFIG.format(
            grpc_port=grpc_port, mqtt_port=mqtt_port, dir=work))
        gw.start()
        gw.wait_log("mqtt: subscribed", "the MQTT subscription", timeout=20)

        bad_json = b'{"eventType": "x", "eventData": '
        unknown = b'{"eventType":"hello","eventData":{}}'
        bad_msgpack = b"\x93\x01\xc1\xff"
        broker.publish("/devices/42/event", bad_json)
        broker.publish("/devices/999/event", unknown)
        broker.publish("/devices/42/bulkData/logs", bad_msgpack)
        ch = grpc.insecure_channel("127.0.0.1:%d" % grpc_port)
        gw.wait_serving(ch)
        bad_grpc = b"\xa3not-a-map"
        try:
            pbg.GatewayStub(ch).PublishBulkData(
                pb.BulkData(device_id=42, label="logs", msgpack_payload=bad_grpc),
                timeout=10)
            checker.check(False, "bad gRPC MessagePack accepted")
        except grpc.RpcError as e:
            checker.eq(e.code(), grpc.StatusCode.INVALID_ARGUMENT, "gRPC code")
        # Refused by the adapter before Ingest: a timestamp out of range
        # (unary) and a stream item with nothing set.
        from google.protobuf import timestamp_pb2
        bad_time = pb.Event(event_type="clock",
                            timestamp=timestamp_pb2.Timestamp(seconds=1, nanos=-5),
                            origin_device_id=42)
        try:
            pbg.GatewayStub(ch).PublishEvent(bad_time, timeout=10)
            checker.check(False, "bad timestamp accepted")
        except grpc.RpcError as e:
            checker.eq(e.code(), grpc.StatusCode.INVALID_ARGUMENT,
                       "gRPC code for a bad timestamp")
        empty_item = pb.PublishRequest(id=77)
        answers = list(pbg.GatewayStub(ch).Publish(iter([empty_item]),
                                                   timeout=10))
        checker.eq([(a.id, a.code) for a in answers], [(77, 3)],
                   "answer to an empty stream item")
        ch.close()
        broker.publish("/devices/42/event", b'{"eventType":"good","eventData":{}}')
        sink = os.path.join(work, "all.jsonl")
        wait_for(lambda: read(sink).count(b"\n") >= 1, "the good event in the sink")
        dead = os.path.join(work, "dead", "doors.jsonl")
        wait_for(lambda: read(dead).count(b"\n") >= 6, "six dead letters")
        lines = [json.loads(l) for l in read(dead).splitlines()]
        checker.eq(len(lines), 6, "dead-letter lines")
        by_data = {base64.b64decode(l["data"]): l for l in lines}
        expect = [
            (bad_json, "mqtt", "/devices/42/event", 42, "JSON"),
            (unknown, "mqtt", "/devices/999/event", 999, "registry"),
            (bad_msgpack, "mqtt", "/devices/42/bulkData/logs", 42, ""),
            (bad_grpc, "grpc", None, 42, "", "bulk_data"),
            (bad_time.SerializeToString(), "grpc", None, 42,
             "timestamp.nanos", "event"),
            (empty_item.SerializeToString(), "grpc", None, None, "item:",
             "publish"),
        ]
        for data, source, topic, device, reason_part, *rpc in expect:
            l = by_data.get(data)
            if not checker.check(l is not None, "no dead letter with data %r: %r"
                                 % (data, lines)):
                continue
            checker.eq(l["source"], source, "source of %r" % data)
            checker.eq(l.get("topic"), topic, "topic of %r" % data)
            checker.eq(l.get("device"), device, "device of %r" % data)
            checker.eq(l["bytes"], len(data), "bytes of %r" % data)
            checker.check(reason_part in l["reason"] and l["reason"],
                          "reason of %r: %r" % (data, l["reason"]))
            checker.check(l["time"].endswith("Z"), "time of %r" % data)
            if source == "grpc":
                checker.eq(l.get("rpc"), rpc[0], "rpc of the gRPC reject %r"
                           % data)
        gw.signal(signal.SIGTERM)
        checker.eq(gw.wait_exit(timeout=30), 0, "gateway exit code")
    except harness.Fatal as e:
        checker.check(False, str(e))
    finally:
        if gw is not None:
            gw.kill()
            gw.close_files()
        broker.stop()
    if checker.failures:
        print("dead_letter_e2e_test: %d FAILED (files in %s)"
              % (len(checker.failures), work))
        return 1
    shutil.rmtree(work, ignore_errors=True)
    print("dead_letter_e2e_test: all %d checks passed" % checker.passed)
    return 0


if __name__ == "__main__":
    sys.exit(main())
