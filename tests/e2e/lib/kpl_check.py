"""Reading a stream of KPL aggregated records back for the aggregation e2e
test: every shard's Kinesis records in sequence order (with their
sequence numbers, read with kinesis_peer's client), de-aggregated by AWS's
own library (kpl_deaggregate.js, aws-kinesis-agg with checksums verified)
and by `streamgate-tail --deaggregate`. Single-threaded use.
"""

import base64
import json
import os
import shutil
import subprocess

import kinesis_peer
from harness import Fatal

HERE = os.path.dirname(os.path.abspath(__file__))
DEAGGREGATE_JS = os.path.join(HERE, "kpl_deaggregate.js")
KPL_MAGIC = b"\xf3\x89\x9a\xc2"


def read_raw(client, stream):
    """({shard_id: (start, end)}, [record dicts as GetRecords gives them,
    plus shardId], shard by shard, oldest first)."""
    shards = {}
    records = []
    for sid, lo, hi in client.list_shards(stream):
        shards[sid] = (lo, hi)
        it = client.call("GetShardIterator", {
            "StreamName": stream, "ShardId": sid,
            "ShardIteratorType": "TRIM_HORIZON"})["ShardIterator"]
        while it:
            page = client.call("GetRecords", {"ShardIterator": it,
                                              "Limit": 10000})
            for r in page["Records"]:
                records.append({"shardId": sid,
                                "sequenceNumber": r["SequenceNumber"],
                                "partitionKey": r["PartitionKey"],
                                "data": r["Data"]})
            if not page["Records"]:
                break
            it = page.get("NextShardIterator")
    return shards, records


def is_aggregated(record):
    data = base64.b64decode(record["data"])
    return len(data) >= 20 and data[:4] == KPL_MAGIC


def deaggregate_with_aws(records, timeout=120):
    """User records (dicts: shardId, sequenceNumber, subSequenceNumber,
    partitionKey, explicitHashKey, data as bytes, aggregated) as
    aws-kinesis-agg returns them, in input order."""
    node = shutil.which("node")
    if node is None:
        raise Fatal("node is not installed: aws-kinesis-agg cannot run")
    res = subprocess.run([node, DEAGGREGATE_JS], input=json.dumps(
        records).encode(), capture_output=True, timeout=timeout)
    if res.returncode != 0:
        raise Fatal("kpl_deaggregate.js exited %d: %s" % (
            res.returncode, res.stderr[-2000:].decode("utf-8", "replace")))
    out = []
    for line in res.stdout.decode("utf-8").splitlines():
        u = json.loads(line)
        u["data"] = base64.b64decode(u["data"], validate=True)
        out.append(u)
    return out


def deaggregate_with_tail(tail_binary, url, stream, timeout=60):
    """[(shardId, sequenceNumber, subSequenceNumber or None, partitionKey,
    data)] printed by `streamgate-tail --deaggregate`, and its stderr."""
    cmd = [tail_binary, "--stream", stream, "--endpoint", url, "--region",
           kinesis_peer.REGION, "--from", "oldest", "--deaggregate"]
    res = subprocess.run(cmd, capture_output=True, env=kinesis_peer.aws_env(),
                         timeout=timeout)
    if res.returncode != 0:
        raise Fatal("streamgate-tail --deaggregate on %s exited %d: %s" % (
            stream, res.returncode,
            res.stderr[-1000:].decode("utf-8", "replace")))
    out = []
    for line in res.stdout.decode("utf-8").splitlines():
        r = json.loads(line)
        out.append((r["shardId"], r["sequenceNumber"],
                    r.get("subSequenceNumber"), r["partitionKey"],
                    base64.b64decode(r["data"], validate=True)))
    return out, res.stderr.decode("utf-8", "replace")
