#!/usr/bin/python3
"""A Kinesis endpoint with AWS's per-shard write limits, for the aggregation
benchmark (bench/README.md, "KPL aggregation").

Usage: shard_limited_kinesis.py --shards N [--port P] [--records-per-s 1000]
                                [--bytes-per-s 1048576]

Listens on 127.0.0.1 (the first stdout line: `listening 127.0.0.1:PORT`),
answers ListShards / DescribeStreamSummary with N shards splitting the hash
key space evenly, and PutRecords the way a provisioned stream does: each
record goes to the shard holding its ExplicitHashKey (else MD5 of its
partition key) and is stored only while that shard has taken fewer than
--records-per-s records and --bytes-per-s bytes (data + partition key) in
the current second; otherwise its answer entry is
ProvisionedThroughputExceededException. Stored records are checked and
counted as the KCL would see them: a KPL aggregate (magic F3 89 9A C2) is
de-aggregated, its MD5 verified, and each user record whose own key hashes
outside the shard is counted as `misrouted` (the KCL would drop it).

Every second: `interval t=S stored=.. user=.. throttled=..` (stored Kinesis
records, user records in them, refused records); on SIGTERM one line
`SHARD_LIMITED key=value ...` with the totals and per-shard user records.
Loopback only; a thread per connection, one lock around the counters.
"""

import argparse
import base64
import bisect
import hashlib
import json
import signal
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

MAGIC = b"\xf3\x89\x9a\xc2"
KEYSPACE = 1 << 128


def varint(buf, pos):
    value = shift = 0
    while True:
        if pos >= len(buf) or shift > 63:
            raise ValueError("truncated varint")
        b = buf[pos]
        pos += 1
        value |= (b & 0x7F) << shift
        if not b & 0x80:
            return value, pos
        shift += 7


def fields(buf):
    """(number, wire_type, value) of a protobuf message's fields."""
    pos = 0
    while pos < len(buf):
        key, pos = varint(buf, pos)
        number, wire = key >> 3, key & 7
        if wire == 0:
            value, pos = varint(buf, pos)
        elif wire == 2:
            n, pos = varint(buf, pos)
            if pos + n > len(buf):
                raise ValueError("length past the end")
            value, pos = buf[pos:pos + n], pos + n
        else:
            raise ValueError("unexpected wire type %d" % wire)
        yield number, wire, value


def user_keys(data):
    """The partition key of each user record of a KPL aggregate."""
    body, digest = data[4:-16], data[-16:]
    if hashlib.md5(body).digest() != digest:
        raise ValueError("MD5 mismatch")
    table, indices = [], []
    for number, wire, value in fields(body):
        if number == 1 and wire == 2:
            table.append(value.decode("utf-8"))
        elif number == 3 and wire == 2:
            index = [v for n, w, v in fields(value) if n == 1 and w == 0]
            indices.append(index[0] if index else 0)
    return [table[i] for i in indices]


def hash_of(key):
    return int.from_bytes(hashlib.md5(key.encode("utf-8")).digest(), "big")


class Stream:
    def __init__(self, shards, records_per_s, bytes_per_s):
        step = KEYSPACE // shards
        self.starts = [i * step for i in range(shards)]
        self.ends = [s + step - 1 for s in self.starts]
        self.ends[-1] = KEYSPACE - 1
        self.ids = ["shardId-%012d" % i for i in range(shards)]
        self.records_per_s = records_per_s
        self.bytes_per_s = bytes_per_s
        self.lock = threading.Lock()
        self.window = [(-1, 0, 0)] * shards  # (second, records, bytes)
        self.user_per_shard = [0] * shards
        self.totals = dict(requests=0, stored=0, user=0, throttled=0,
                           misrouted=0, bad_aggregates=0, stored_bytes=0)
        self.seq = 0

    def shard_of(self, hash_key):
        return bisect.bisect_right(self.starts, hash_key) - 1

    def put(self, records):
        out = []
        failed = 0
        now = int(time.monotonic())
        with self.lock:
            self.totals["requests"] += 1
            for r in records:
                key = r["PartitionKey"]
                data = base64.b64decode(r["Data"])
                ehk = r.get("ExplicitHashKey")
                shard = self.shard_of(int(ehk) if ehk else hash_of(key))
                second, count, size = self.window[shard]
                if second != now:
                    second, count, size = now, 0, 0
                cost = len(data) + len(key.encode("utf-8"))
                if count + 1 > self.records_per_s or \
                        size + cost > self.bytes_per_s:
                    failed += 1
                    self.totals["throttled"] += 1
                    out.append({"ErrorCode":
                                "ProvisionedThroughputExceededException",
                                "ErrorMessage": "Rate exceeded for shard %s"
                                % self.ids[shard]})
                    continue
                self.window[shard] = (second, count + 1, size + cost)
                users = [key]
                if len(data) >= 20 and data[:4] == MAGIC:
                    try:
                        users = user_keys(data)
                    except (ValueError, IndexError, UnicodeDecodeError):
                        self.totals["bad_aggregates"] += 1
                for k in users:
                    if self.shard_of(hash_of(k)) != shard:
                        self.totals["misrouted"] += 1
                self.totals["stored"] += 1
                self.totals["stored_bytes"] += cost
                self.totals["user"] += len(users)
                self.user_per_shard[shard] += len(users)
                self.seq += 1
                out.append({"SequenceNumber": str(self.seq),
                            "ShardId": self.ids[shard]})
        return {"FailedRecordCount": failed, "Records": out}

    def list_shards(self):
        return {"Shards": [
            {"ShardId": sid, "HashKeyRange": {"StartingHashKey": str(lo),
                                              "EndingHashKey": str(hi)},
             "SequenceNumberRange": {"StartingSequenceNumber": "1"}}
            for sid, lo, hi in zip(self.ids, self.starts, self.ends)]}


def make_handler(stream):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):
            pass

        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            target = self.headers.get("X-Amz-Target", "").split(".")[-1]
            code, answer = 200, None
            if target == "PutRecords":
                answer = stream.put(json.loads(body)["Records"])
            elif target == "ListShards":
                answer = stream.list_shards()
            elif target == "DescribeStreamSummary":
                answer = {"StreamDescriptionSummary": {
                    "StreamName": "bench", "StreamStatus": "ACTIVE",
                    "OpenShardCount": len(stream.ids),
                    "StreamARN": "arn:aws:kinesis:us-east-1:0:stream/bench",
                    "RetentionPeriodHours": 24, "EncryptionType": "NONE",
                    "StreamCreationTimestamp": 0, "EnhancedMonitoring": []}}
            else:
                code, answer = 400, {"__type": "UnknownOperationException"}
            data = json.dumps(answer).encode()
            self.send_response(code)
            self.send_header("Content-Type", "application/x-amz-json-1.1")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
    return Handler


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--shards", type=int, required=True)
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--records-per-s", type=int, default=1000)
    ap.add_argument("--bytes-per-s", type=int, default=1048576)
    args = ap.parse_args()
    stream = Stream(args.shards, args.records_per_s, args.bytes_per_s)
    server = ThreadingHTTPServer(("127.0.0.1", args.port), make_handler(stream))
    server.daemon_threads = True
    print("listening 127.0.0.1:%d" % server.server_address[1], flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    threading.Thread(target=server.serve_forever, daemon=True).start()
    start = time.monotonic()
    last = dict(stream.totals)
    while not stop.wait(1.0):
        with stream.lock:
            now = dict(stream.totals)
        print("interval t=%.0f stored=%d user=%d throttled=%d" % (
            time.monotonic() - start, now["stored"] - last["stored"],
            now["user"] - last["user"], now["throttled"] - last["throttled"]),
            flush=True)
        last = now
    with stream.lock:
        t = dict(stream.totals)
        per_shard = ",".join(str(n) for n in stream.user_per_shard)
    print("SHARD_LIMITED %s user_per_shard=%s" % (
        " ".join("%s=%d" % kv for kv in sorted(t.items())), per_shard),
        flush=True)
    server.shutdown()


if __name__ == "__main__":
    sys.exit(main())
