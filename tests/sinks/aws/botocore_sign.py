#!/usr/bin/env python3
"""Signs a Kinesis PutRecords request with botocore's SigV4Auth and a frozen
clock, and prints the headers botocore sends, as JSON.

Used by sigv4_test.cc as an independent reference signer. Usage:

  botocore_sign.py [INPUT.json]

INPUT.json (all optional; defaults below) holds access_key_id,
secret_access_key, session_token ("" for none), region, timestamp
(YYYYMMDDTHHMMSSZ), body (the JSON request body). Output: one JSON object
{"headers": [[name, value], ...], "authorization": ..., "x_amz_date": ...}.
Exit status 3 when botocore is not importable.
"""

import datetime
import json
import sys

try:
    import botocore.auth
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials
except ImportError as e:  # The C++ test skips on this status.
    print(f"botocore not available: {e}", file=sys.stderr)
    sys.exit(3)

DEFAULTS = {
    "access_key_id": "AKIDEXAMPLE",
    "secret_access_key": "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
    "session_token": "",
    "region": "us-east-1",
    "timestamp": "20240229T235959Z",
    "body": json.dumps({
        "StreamName": "streamgate-test",
        "Records": [{"Data": "aGVsbG8=", "PartitionKey": "device-1"}],
    }),
}


def freeze_clock(frozen):
    """Makes botocore's signer see `frozen` (naive UTC) as the current time,
    for both the current helper and the older datetime.utcnow() call."""
    if hasattr(botocore.auth, "get_current_datetime"):
        botocore.auth.get_current_datetime = lambda *a, **k: frozen
    else:
        class FrozenDatetime(datetime.datetime):
            @classmethod
            def utcnow(cls):
                return frozen

        class FrozenModule:
            datetime = FrozenDatetime

        botocore.auth.datetime = FrozenModule


def main():
    params = dict(DEFAULTS)
    if len(sys.argv) > 1:
        with open(sys.argv[1], encoding="utf-8") as f:
            params.update(json.load(f))
    frozen = datetime.datetime.strptime(params["timestamp"], "%Y%m%dT%H%M%SZ")
    freeze_clock(frozen)

    region = params["region"]
    request = AWSRequest(
        method="POST",
        url=f"https://kinesis.{region}.amazonaws.com/",
        data=params["body"].encode("utf-8"),
        headers={
            "Content-Type": "application/x-amz-json-1.1",
            "X-Amz-Target": "Kinesis_20131202.PutRecords",
        },
    )
    credentials = Credentials(
        params["access_key_id"], params["secret_access_key"],
        params["session_token"] or None)
    SigV4Auth(credentials, "kinesis", region).add_auth(request)

    headers = [[k, v] for k, v in request.headers.items()]
    print(json.dumps({
        "headers": headers,
        "authorization": request.headers["Authorization"],
        "x_amz_date": request.headers["X-Amz-Date"],
    }))


if __name__ == "__main__":
    main()
