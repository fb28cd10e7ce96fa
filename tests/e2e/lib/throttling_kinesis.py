"""A throttling Kinesis emulator of the project's own, for the Kinesis
sink's at-scale test and bench: one stream of N shards (hash-key range
split evenly), each with the AWS write limits as token buckets (1,000
records/s and 1 MiB/s by default, a second's worth of burst), random
InternalFailure answers, and the calls the sink makes: ListShards (paged,
`page_size` shards a page, NextToken), DescribeStreamSummary (with
MaxRecordSizeInKiB when given) and PutRecords (per-record results by
index; a record over its shard's tokens gets
ProvisionedThroughputExceededException). Every stored record is kept in
its shard's order, and the emulator counts what it stored, throttled and
failed per shard.

In a test: `ThrottlingKinesis(...)` runs it on a free 127.0.0.1 port in
this process. As a process (bench): `python3 throttling_kinesis.py --shards
N --port P [...]`; it prints "PORT <n>" once listening; GET /stats answers
the counts as JSON.

Threading: requests are answered on the server's threads, one at a time
(one lock), so the buckets and the stores are consistent.
"""

import argparse
import base64
import hashlib
import http.server
import json
import random
import sys
import threading
import time

MAX_HASH = (1 << 128) - 1
MAX_REQUEST_RECORDS = 500
MAX_REQUEST_BYTES = 10 * 1048576


class Bucket:
    def __init__(self, rate, burst, now):
        self.rate = float(rate)
        self.burst = float(burst)
        self.tokens = float(burst)
        self.last = now

    def refill(self, now):
        self.tokens = min(self.burst, self.tokens + (now - self.last) * self.rate)
        self.last = now


class Shard:
    def __init__(self, index, start, end, rate_records, rate_bytes, now):
        self.shard_id = "shardId-%012d" % index
        self.start = start
        self.end = end
        self.records = Bucket(rate_records, rate_records, now)
        self.bytes = Bucket(rate_bytes, rate_bytes, now)
        self.stored = []          # (partition key, data bytes), in order
        self.store_times = []     # time.monotonic() of each stored record
        self.first_store = None   # time.monotonic() of the first and last
        self.last_store = None
        self.throttled = 0
        self.failed = 0
        self.bytes_stored = 0

    def as_json(self):
        return {"ShardId": self.shard_id,
                "HashKeyRange": {"StartingHashKey": str(self.start),
                                 "EndingHashKey": str(self.end)},
                "SequenceNumberRange": {"StartingSequenceNumber": "1"}}


class Emulator:
    """The stream and its counters; no networking (see ThrottlingKinesis)."""

    def __init__(self, stream, shards=2, records_per_s=1000,
                 bytes_per_s=1048576, internal_failure=0.0, page_size=1,
                 max_record_kib=None, seed=1, keep_data=True):
        now = time.monotonic()
        self.stream = stream
        self.page_size = max(1, page_size)
        self.max_record_kib = max_record_kib
        self.internal_failure = internal_failure
        self.keep_data = keep_data
        self.rng = random.Random(seed)
        self.lock = threading.Lock()
        self.calls = {}
        self.shards = []
        width = (MAX_HASH + 1) // shards
        for i in range(shards):
            start = i * width
            end = MAX_HASH if i == shards - 1 else (i + 1) * width - 1
            self.shards.append(Shard(i, start, end, records_per_s, bytes_per_s, now))

    def shard_of(self, key, explicit=None):
        h = int(explicit) if explicit else int.from_bytes(
            hashlib.md5(key.encode("utf-8")).digest(), "big")
        for s in self.shards:
            if s.start <= h <= s.end:
                return s
        raise ValueError("hash outside every shard")

    def handle(self, action, body):
        """(HTTP status, answer dict) for one call."""
        with self.lock:
            self.calls[action] = self.calls.get(action, 0) + 1
            if action == "ListShards":
                return self.list_shards(body)
            if action == "DescribeStreamSummary":
                return self.describe(body)
            if action == "PutRecords":
                return self.put_records(body)
        return 400, {"__type": "UnknownOperationException", "message": action}

    def not_found(self, name):
        return 400, {"__type": "ResourceNotFoundException",
                     "message": "Stream %s not found." % name}

    def list_shards(self, body):
        token = body.get("NextToken")
        if token and body.get("StreamName"):
            return 400, {"__type": "InvalidArgumentException",
                         "message": "NextToken and StreamName cannot be "
                                    "provided together."}
        if token:
            try:
                start = int(token.split(":", 1)[1])
            except (IndexError, ValueError):
                return 400, {"__type": "InvalidArgumentException",
                             "message": "bad NextToken"}
        elif body.get("StreamName") != self.stream:
            return self.not_found(body.get("StreamName"))
        else:
            start = 0
        page = self.shards[start:start + self.page_size]
        answer = {"Shards": [s.as_json() for s in page]}
        if start + self.page_size < len(self.shards):
            answer["NextToken"] = "page:%d" % (start + self.page_size)
        return 200, answer

    def describe(self, body):
        if body.get("StreamName") != self.stream:
            return self.not_found(body.get("StreamName"))
        summary = {"StreamName": self.stream, "StreamStatus": "ACTIVE",
                   "OpenShardCount": len(self.shards),
                   "RetentionPeriodHours": 24}
        if self.max_record_kib:
            summary["MaxRecordSizeInKiB"] = self.max_record_kib
        return 200, {"StreamDescriptionSummary": summary}

    def put_records(self, body):
        if body.get("StreamName") != self.stream:
            return self.not_found(body.get("StreamName"))
        records = body.get("Records") or []
        if not 1 <= len(records) <= MAX_REQUEST_RECORDS:
            return 400, {"__type": "ValidationException",
                         "message": "1 to 500 records a request"}
        now = time.monotonic()
        decoded = []
        total = 0
        for r in records:
            data = base64.b64decode(r.get("Data", ""))
            key = r.get("PartitionKey", "")
            decoded.append((key, data, r.get("ExplicitHashKey")))
            total += len(data) + len(key.encode("utf-8"))
        if total > MAX_REQUEST_BYTES:
            return 400, {"__type": "ValidationException",
                         "message": "request over 10 MiB"}
        out = []
        failed = 0
        for key, data, explicit in decoded:
            shard = self.shard_of(key, explicit)
            size = len(data) + len(key.encode("utf-8"))
            if self.rng.random() < self.internal_failure:
                shard.failed += 1
                failed += 1
                out.append({"ErrorCode": "InternalFailure",
                            "ErrorMessage": "Internal service failure."})
                continue
            # Both limits must hold; a refused record takes no tokens.
            shard.records.refill(now)
            shard.bytes.refill(now)
            if shard.records.tokens < 1 or shard.bytes.tokens < size:
                shard.throttled += 1
                failed += 1
                out.append({"ErrorCode": "ProvisionedThroughputExceededException",
                            "ErrorMessage": "Rate exceeded for shard %s in stream "
                                            "%s." % (shard.shard_id, self.stream)})
                continue
            shard.records.tokens -= 1
            shard.bytes.tokens -= size
            shard.stored.append((key, data if self.keep_data else b""))
            shard.bytes_stored += size
            shard.store_times.append(now)
            if shard.first_store is None:
                shard.first_store = now
            shard.last_store = now
            out.append({"SequenceNumber": "%d%020d" % (
                self.shards.index(shard), len(shard.stored)),
                "ShardId": shard.shard_id})
        return 200, {"FailedRecordCount": failed, "Records": out}

    def stored_between(self, t0, t1):
        """Records stored with t0 <= time < t1, every shard."""
        with self.lock:
            return sum(1 for s in self.shards for t in s.store_times
                       if t0 <= t < t1)

    def stats(self):
        with self.lock:
            shards = []
            for s in self.shards:
                span = (s.last_store - s.first_store) if s.first_store else 0.0
                shards.append({"shard": s.shard_id, "stored": len(s.stored),
                               "bytes": s.bytes_stored, "throttled": s.throttled,
                               "internal_failures": s.failed,
                               "store_span_s": span})
            return {"shards": shards, "calls": dict(self.calls)}


class ThrottlingKinesis:
    """The emulator behind an HTTP server on a free 127.0.0.1 port."""

    def __init__(self, port=0, **kwargs):
        self.emulator = Emulator(**kwargs)
        emu = self.emulator

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def reply(self, status, answer):
                data = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/x-amz-json-1.1")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self):
                if self.path == "/stats":
                    self.reply(200, emu.stats())
                else:
                    self.reply(404, {})

            def do_POST(self):
                raw = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                target = self.headers.get("X-Amz-Target", "")
                try:
                    body = json.loads(raw or b"{}")
                except ValueError:
                    self.reply(400, {"__type": "SerializationException"})
                    return
                self.reply(*emu.handle(target.rsplit(".", 1)[-1], body))

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.url = "http://127.0.0.1:%d" % self.port
        self.thread = threading.Thread(target=self.server.serve_forever,
                                       daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--stream", default="bench")
    ap.add_argument("--shards", type=int, default=2)
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--records-per-s", type=float, default=1000)
    ap.add_argument("--bytes-per-s", type=float, default=1048576)
    ap.add_argument("--internal-failure", type=float, default=0.0)
    args = ap.parse_args()
    kin = ThrottlingKinesis(port=args.port, stream=args.stream, shards=args.shards,
                            records_per_s=args.records_per_s,
                            bytes_per_s=args.bytes_per_s,
                            internal_failure=args.internal_failure,
                            page_size=2, keep_data=False)
    print("PORT %d" % kin.port, flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    kin.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
