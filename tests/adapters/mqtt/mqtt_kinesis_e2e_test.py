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

import base64
import collections
import hashlib
import http.client
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
STREAM = "mqtt-e2e"
REGION = "us-east-1"
# Dummy credentials: kinesalite accepts any; never real ones.
ACCESS_KEY = "AKIDMQTTE2EDUMMY"
SECRET_KEY = "mqtt-e2e-dummy-secret"
TS = re.compile(rb'^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{3}|\.\d{6}|\.\d{9})?Z$')
LINE = re.compile(rb'^\{"module":"([^"]+)","partitionKey":"([^"]+)",'
                  rb'"data":"([A-Za-z0-9+/=]*)"\}$')
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
            return
        time.sleep(0.05)
    raise RuntimeError("timed out waiting for " + what)


def connectable(port):
    try:
        socket.create_connection(("127.0.0.1", port), 0.2).close()
        return True
    except OSError:
        return False


def read(path):
    try:
        with open(path, "rb") as f:
            return f.read()
    except OSError:
        return b""


def kinesis(port, action, body):
    """One Kinesis JSON 1.1 call. kinesalite wants a well-formed SigV4
    Authorization header but never checks the signature."""
    amz_date = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    headers = {
        "Content-Type": "application/x-amz-json-1.1",
        "X-Amz-Target": "Kinesis_20131202." + action,
        "X-Amz-Date": amz_date,
        "Authorization": (
            "AWS4-HMAC-SHA256 Credential=%s/%s/%s/kinesis/aws4_request, "
            "SignedHeaders=content-type;host;x-amz-date;x-amz-target, "
            "Signature=%s" % (ACCESS_KEY, amz_date[:8], REGION, "0" * 64)),
    }
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request("POST", "/", json.dumps(body).encode(), headers)
        resp = conn.getresponse()
        data = resp.read()
    finally:
        conn.close()
    if resp.status != 200:
        raise RuntimeError("kinesalite %s -> HTTP %d: %r" % (action, resp.status,
                                                             data[:300]))
    return json.loads(data) if data else {}


def read_stream(port):
    """{shard_id: (start_hash, end_hash, [(partition_key, data), ...])}: every
    record of every shard, oldest first."""
    out = {}
    for shard in kinesis(port, "ListShards", {"StreamName": STREAM})["Shards"]:
        sid = shard["ShardId"]
        rng = shard["HashKeyRange"]
        records = []
        it = kinesis(port, "GetShardIterator", {
            "StreamName": STREAM, "ShardId": sid,
            "ShardIteratorType": "TRIM_HORIZON"})["ShardIterator"]
        while it:
            page = kinesis(port, "GetRecords", {"ShardIterator": it, "Limit": 10000})
            for r in page["Records"]:
                records.append((r["PartitionKey"],
                                base64.b64decode(r["Data"], validate=True)))
            if not page["Records"]:
                break
            it = page.get("NextShardIterator")
        out[sid] = (int(rng["StartingHashKey"]), int(rng["EndingHashKey"]), records)
    return out


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


def mask_timestamp(data):
    """Event bytes with a well-formed timestamp value replaced by <TS>."""
    m = re.match(rb'^(.*,"timestamp":")([^"]*)(",.*)$', data, re.S)
    if not m or not TS.match(m.group(2)):
        return data
    return m.group(1) + b"<TS>" + m.group(3)


def publish(port, topic, payload=None, path=None, lines=None):
    cmd = [MOSQUITTO_PUB, "-h", "127.0.0.1", "-p", str(port), "-q", "1",
           "-t", topic]
    if lines is not None:  # one message per line, one connection
        subprocess.run(cmd + ["-l"], input=b"\n".join(lines) + b"\n",
                       check=True, timeout=30)
    else:
        subprocess.run(cmd + ["-f", path], check=True, timeout=30)


def main():
    binary, src_dir = sys.argv[1], sys.argv[2]
    node = shutil.which("node")
    if node is None:
        print("FAIL: node is not installed (kinesalite needs it)")
        return 1
    work = tempfile.mkdtemp(prefix="sg-mqtt-kinesis-e2e-")
    os.chmod(work, 0o755)
    mqtt_port, grpc_port, kinesis_port = free_port(), free_port(), free_port()
    procs = []
    gw = None
    try:
        with open(os.path.join(work, "mosquitto.conf"), "w") as f:
            f.write("listener %d 127.0.0.1\nallow_anonymous true\n"
                    "persistence false\nlog_dest stdout\n" % mqtt_port)
        broker_log = open(os.path.join(work, "mosquitto.log"), "wb")
        procs.append(subprocess.Popen(
            [MOSQUITTO, "-c", os.path.join(work, "mosquitto.conf")],
            stdout=broker_log, stderr=subprocess.STDOUT))
        script = ("require(%s)({createStreamMs: 0, deleteStreamMs: 0, "
                  "updateStreamMs: 0, shardLimit: 50}).listen(%d, '127.0.0.1');"
                  % (json.dumps(os.path.join(src_dir, "tests", "node_modules",
                                             "kinesalite")), kinesis_port))
        kl_log = open(os.path.join(work, "kinesalite.log"), "wb")
        procs.append(subprocess.Popen([node, "-e", script], stdout=kl_log,
                                      stderr=subprocess.STDOUT,
                                      stdin=subprocess.DEVNULL))
        for port, what, proc in ((mqtt_port, "mosquitto", procs[0]),
                                 (kinesis_port, "kinesalite", procs[1])):
            wait_for(lambda: proc.poll() is not None or connectable(port), what)
            if proc.poll() is not None:
                raise RuntimeError(what + " exited at start-up")

        kinesis(kinesis_port, "CreateStream", {"StreamName": STREAM, "ShardCount": 2})
        wait_for(lambda: kinesis(kinesis_port, "DescribeStreamSummary",
                                 {"StreamName": STREAM})
                 ["StreamDescriptionSummary"]["StreamStatus"] == "ACTIVE",
                 "the stream to become ACTIVE")

        devices = "\n".join("  - {id: %d, home_id: %d%s}" %
                            (d, 100 + d % 3, ", class: meter" if d % 2 else "")
                            for d in DEVICES)
        with open(os.path.join(work, "gw.yaml"), "w") as f:
            f.write(CONFIG.format(grpc_port=grpc_port, mqtt_port=mqtt_port,
                                  kinesis_port=kinesis_port, dir=work,
                                  devices=devices, region=REGION, stream=STREAM))
        env = {k: v for k, v in os.environ.items()
               if not k.startswith("AWS_")}
        env.update(AWS_ACCESS_KEY_ID=ACCESS_KEY, AWS_SECRET_ACCESS_KEY=SECRET_KEY,
                   AWS_EC2_METADATA_DISABLED="true")
        gw_log_path = os.path.join(work, "gw.log")
        gw_log = open(gw_log_path, "wb")
        gw = subprocess.Popen([binary, "--config", os.path.join(work, "gw.yaml")],
                              stdout=gw_log, stderr=subprocess.STDOUT,
                              stdin=subprocess.DEVNULL, env=env)
        log = lambda: read(gw_log_path)
        wait_for(lambda: b"mqtt: subscribed" in log() or gw.poll() is not None,
                 "the gateway's MQTT subscription")
        if gw.poll() is not None:
            raise RuntimeError("gateway exited at start-up:\n" + log().decode())

        # Good input: 5 events from each registered device (one connection per
        # device), and two bulk payloads of 2 records each.
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
            publish(mqtt_port, "/devices/%d/event" % d, lines=lines)
        payload = os.path.join(work, "payload.bin")
        for d, recs in ((41, [b"hello", b"\x00\xff\n"]), (46, [b"x" * 200, b"{}"])):
            with open(payload, "wb") as f:
                f.write(b"\xa3" b"1.0" + b"".join(
                    bytes([0xc4, len(r)]) + r for r in recs))
            publish(mqtt_port, "/devices/%d/bulkData/logs" % d, path=payload)
            expected += [(str(d), r) for r in recs]

        bad = [
            ("/devices/999/event", b'{"eventType":"reading"}'),   # unknown device
            ("/devices/40/event", b'not json'),
            ("/devices/40/event", b'["eventType"]'),               # not an object
            ("/devices/40/event", b'{"eventType":""}'),
            ("/devices/40/event", b'{"eventType":"t","eventData":[1]}'),
            ("/devices/040/event", b'{"eventType":"reading"}'),   # bad id
            ("/devices/41/bulkData/logs", b"\xa3" b"1.0\xc4\x09abc"),  # short bin
            ("/devices/999/bulkData/logs", b"\xa3" b"1.0\xc4\x01z"),    # unknown
        ]
        for topic, data in bad:
            with open(payload, "wb") as f:
                f.write(data)
            publish(mqtt_port, topic, path=payload)
        # A last good event after the bad ones: they must not stop the rest.
        publish(mqtt_port, "/devices/49/event",
                lines=[b'{"eventType":"last","eventData":{}}'])
        expected.append(("49", b'{"eventType":"last","eventData":{},'
                         b'"timestamp":"<TS>","homeId":101,"originDeviceId":49,'
                         b'"originDeviceClass":"meter"}'))

        file_path = os.path.join(work, "file.jsonl")
        wait_for(lambda: read(file_path).count(b"\n") >= len(expected),
                 "the file sink records")
        wait_for(lambda: log().count(b"mqtt: rejected message") >= len(bad),
                 "the rejection log lines")
        gw.send_signal(signal.SIGTERM)  # flushes the Kinesis queue, then exits
        check(gw.wait(timeout=30) == 0, "gateway exit code")
        gw = None

        # The file sink: exactly the expected records, in publish order per
        # device.
        in_file = sink_lines(file_path)
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
        shards = read_stream(kinesis_port)
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
        check(all(key in {str(d) for d in DEVICES} for key, _ in in_stream),
              "partition keys are the registered device ids")

        text = log().decode("utf-8", "replace")
        check("device 999 on '/devices/999/event'" in text, "log names device 999")
        check("'/devices/040/event'" in text, "log names the bad id topic")
        if failures:
            print(text[-4000:])
        else:
            print("%d records in the file sink and in %d shards (%s)" % (
                len(got_file), len(shards),
                ", ".join("%s: %d" % (s, len(v[2])) for s, v in sorted(shards.items()))))
    finally:
        if gw is not None and gw.poll() is None:
            gw.kill()
            gw.wait()
        for p in procs:
            p.terminate()
            try:
                p.wait(timeout=5)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        shutil.rmtree(work, ignore_errors=True)
    print("%s: %d failures" % ("FAIL" if failures else "PASS", len(failures)))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
