"""Independent reader for the Kinesis sink tests: reads every shard of a
stream with botocore (the AWS CLI's library) and prints one JSON line per
record: {"shardId", "partitionKey", "data" (base64)}.

usage: python3 botocore_read_stream.py ENDPOINT_URL STREAM
Exits 77 when botocore is not installed.
"""
import base64
import json
import sys

try:
    import botocore.session
except ImportError:
    sys.exit(77)

endpoint, stream = sys.argv[1], sys.argv[2]
session = botocore.session.get_session()
client = session.create_client(
    "kinesis", region_name="us-east-1", endpoint_url=endpoint,
    aws_access_key_id="AKIDBOTOCORE", aws_secret_access_key="not-a-real-secret")
shards = client.list_shards(StreamName=stream)["Shards"]
for shard in shards:
    it = client.get_shard_iterator(StreamName=stream, ShardId=shard["ShardId"],
                                   ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
    while it:
        page = client.get_records(ShardIterator=it, Limit=10000)
        for r in page["Records"]:
            print(json.dumps({"shardId": shard["ShardId"],
                              "partitionKey": r["PartitionKey"],
                              "data": base64.b64encode(r["Data"]).decode()}))
        if not page["Records"] and page.get("MillisBehindLatest", 0) == 0:
            break
        it = page.get("NextShardIterator")
