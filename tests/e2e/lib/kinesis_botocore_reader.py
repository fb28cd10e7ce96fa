"""Independent Kinesis reader for the end-to-end tests, run by a Python that
has botocore (the AWS CLI's library): lists the shards of a stream and prints
every record of every shard from TRIM_HORIZON as one JSON line
{"shardId", "sequenceNumber", "partitionKey", "data" (base64)}.
Credentials and region come from the environment.

usage: python3 kinesis_botocore_reader.py ENDPOINT_URL STREAM
"""
import base64
import json
import sys

import botocore.session


def main():
    endpoint, stream = sys.argv[1], sys.argv[2]
    client = botocore.session.get_session().create_client(
        "kinesis", endpoint_url=endpoint)
    shards = []
    kwargs = {"StreamName": stream}
    while True:
        page = client.list_shards(**kwargs)
        shards += page["Shards"]
        if not page.get("NextToken"):
            break
        kwargs = {"NextToken": page["NextToken"]}
    out = sys.stdout
    for shard in shards:
        it = client.get_shard_iterator(
            StreamName=stream, ShardId=shard["ShardId"],
            ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
        while it:
            page = client.get_records(ShardIterator=it, Limit=10000)
            for r in page["Records"]:
                out.write(json.dumps({
                    "shardId": shard["ShardId"],
                    "sequenceNumber": r["SequenceNumber"],
                    "partitionKey": r["PartitionKey"],
                    "data": base64.b64encode(r["Data"]).decode()}) + "\n")
            if not page["Records"] and page.get("MillisBehindLatest", 0) == 0:
                break
            it = page.get("NextShardIterator")


if __name__ == "__main__":
    main()
