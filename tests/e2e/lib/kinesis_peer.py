"""Kinesis peers for the end-to-end tests: a real kinesalite process, a tiny
Kinesis JSON client of the test's own (stream set-up and ListShards), the
spec's shard rule (MD5 of the partition key as a 128-bit big-endian integer
inside the shard's hash-key range), and the stream readers (streamgate-tail,
and an independent one: botocore from a Python that has it, else the AWS CLI).

kinesalite checks that requests carry a well-formed Authorization header but
never verifies signatures, so the set-up client sends a dummy one.
Single-threaded use.
"""

import base64
import hashlib
import http.client
import json
import os
import shutil
import socket
import subprocess
import time

import harness
import peers
from harness import Fatal

HERE = os.path.dirname(os.path.abspath(__file__))
BOTOCORE_READER = os.path.join(HERE, "kinesis_botocore_reader.py")
REGION = "us-east-1"
# Dummy credentials: kinesalite accepts any; they must never be real ones.
ACCESS_KEY = "AKIDSTREAMGATEE2E"
SECRET_KEY = "e2e-dummy-secret-not-real"


def aws_env():
    """The environment for every process that talks to kinesalite: dummy
    static credentials and nothing that could select another provider."""
    env = dict(os.environ)
    for var in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ROLE_ARN",
                "AWS_WEB_IDENTITY_TOKEN_FILE",
                "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
                "AWS_CONTAINER_CREDENTIALS_FULL_URI"):
        env.pop(var, None)
    env.update(AWS_ACCESS_KEY_ID=ACCESS_KEY, AWS_SECRET_ACCESS_KEY=SECRET_KEY,
               AWS_DEFAULT_REGION=REGION, AWS_REGION=REGION,
               AWS_EC2_METADATA_DISABLED="true", AWS_PAGER="")
    return env


class Kinesalite:
    """A kinesalite process on a free 127.0.0.1 port (in-memory store)."""

    def __init__(self, src_dir, work_dir):
        self.modules = os.path.join(src_dir, "tests", "node_modules")
        self.work_dir = work_dir
        self.port = harness.free_port()
        self.url = "http://127.0.0.1:%d" % self.port
        self.proc = None

    def start(self, timeout=20.0):
        node = shutil.which("node")
        if node is None:
            raise Fatal("node is not installed: kinesalite cannot run")
        script = (
            "const k = require(%s)({createStreamMs: 0, deleteStreamMs: 0, "
            "updateStreamMs: 0, shardLimit: 50});"
            "k.listen(%d, '127.0.0.1', (err) => { if (err) { console.error(err);"
            " process.exit(1); } console.log('kinesalite ready'); });"
            % (json.dumps(os.path.join(self.modules, "kinesalite")), self.port))
        self._log = open(os.path.join(self.work_dir, "kinesalite.log"), "wb")
        self.proc = subprocess.Popen([node, "-e", script], stdout=self._log,
                                     stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise Fatal("kinesalite exited with %s: %s" % (
                    self.proc.returncode, self.log_tail()))
            try:
                with socket.create_connection(("127.0.0.1", self.port), 0.2):
                    return
            except OSError:
                time.sleep(0.05)
        raise Fatal("kinesalite did not listen within %.0f s" % timeout)

    def stop(self):
        peers.stop_process(self.proc)
        if getattr(self, "_log", None):
            self._log.close()

    def log_tail(self):
        try:
            with open(os.path.join(self.work_dir, "kinesalite.log"), "rb") as f:
                return f.read()[-2000:].decode("utf-8", "replace")
        except OSError:
            return ""


class KinesisClient:
    """Minimal Kinesis JSON 1.1 client with a dummy SigV4-shaped header."""

    def __init__(self, port):
        self.port = port

    def call(self, action, body):
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
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            conn.request("POST", "/", json.dumps(body).encode(), headers)
            resp = conn.getresponse()
            data = resp.read()
        finally:
            conn.close()
        if resp.status != 200:
            raise Fatal("kinesalite %s -> HTTP %d: %s" % (action, resp.status,
                                                         data[:500]))
        return json.loads(data) if data else {}

    def create_stream(self, name, shards, timeout=10.0):
        self.call("CreateStream", {"StreamName": name, "ShardCount": shards})
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            d = self.call("DescribeStreamSummary", {"StreamName": name})
            if d["StreamDescriptionSummary"]["StreamStatus"] == "ACTIVE":
                return
            time.sleep(0.05)
        raise Fatal("stream %s not ACTIVE after %.0f s" % (name, timeout))

    def list_shards(self, name):
        """[(shard_id, start_hash, end_hash)] with the ranges as ints."""
        out = []
        body = {"StreamName": name}
        while True:
            r = self.call("ListShards", body)
            for s in r["Shards"]:
                rng = s["HashKeyRange"]
                out.append((s["ShardId"], int(rng["StartingHashKey"]),
                            int(rng["EndingHashKey"])))
            token = r.get("NextToken")
            if not token:
                return out
            body = {"NextToken": token}

    def records_by_shard(self, name):
        """{shard_id: (start_hash, end_hash, [(partition_key, data)])}:
        every record of every shard from TRIM_HORIZON, oldest first, read
        with this client (no reader binary needed)."""
        out = {}
        for sid, lo, hi in self.list_shards(name):
            records = []
            it = self.call("GetShardIterator", {
                "StreamName": name, "ShardId": sid,
                "ShardIteratorType": "TRIM_HORIZON"})["ShardIterator"]
            while it:
                page = self.call("GetRecords", {"ShardIterator": it,
                                                "Limit": 10000})
                for r in page["Records"]:
                    records.append((r["PartitionKey"], base64.b64decode(
                        r["Data"], validate=True)))
                if not page["Records"]:
                    break
                it = page.get("NextShardIterator")
            out[sid] = (lo, hi, records)
        return out


def hash_key(partition_key):
    """MD5 of the key's UTF-8 bytes as a 128-bit big-endian integer."""
    return int.from_bytes(hashlib.md5(partition_key.encode("utf-8")).digest(),
                          "big")


def shard_for(shards, partition_key):
    h = hash_key(partition_key)
    owners = [sid for sid, lo, hi in shards if lo <= h <= hi]
    return owners[0] if len(owners) == 1 else None


def _parse_reader_lines(text, who):
    records = []
    for i, line in enumerate(text.splitlines()):
        if not line.strip():
            continue
        try:
            r = json.loads(line)
            records.append((r["shardId"], r.get("sequenceNumber"),
                            r["partitionKey"],
                            base64.b64decode(r["data"], validate=True)))
        except (ValueError, KeyError) as e:
            raise Fatal("%s: line %d is not a record (%s): %r" %
                        (who, i + 1, e, line[:200]))
    return records


def read_with_tail(tail_binary, url, stream, timeout=60.0):
    """[(shard, seq, key, data)] printed by `streamgate-tail --from oldest`."""
    cmd = [tail_binary, "--stream", stream, "--endpoint", url, "--region",
           REGION, "--from", "oldest"]
    try:
        res = subprocess.run(cmd, capture_output=True, env=aws_env(),
                             timeout=timeout)
    except subprocess.TimeoutExpired:
        raise Fatal("streamgate-tail on %s did not finish in %.0f s" %
                    (stream, timeout))
    if res.returncode != 0:
        raise Fatal("streamgate-tail on %s exited %d: %s" % (
            stream, res.returncode, res.stderr[-1000:].decode("utf-8", "replace")))
    return _parse_reader_lines(res.stdout.decode("utf-8"), "streamgate-tail")


def _python_with_botocore():
    """A Python interpreter that can import botocore (the pyenv one here;
    Debian's /usr/bin/python3 has none), or None."""
    candidates = []
    for name in ("python3", "python"):
        p = shutil.which(name)
        if p:
            candidates.append(p)
    candidates.append(os.path.expanduser("~/.pyenv/shims/python3"))
    seen = set()
    for p in candidates:
        if p in seen or not os.path.exists(p):
            continue
        seen.add(p)
        try:
            r = subprocess.run([p, "-c", "import botocore.session"],
                               capture_output=True, timeout=30)
        except (OSError, subprocess.TimeoutExpired):
            continue
        if r.returncode == 0:
            return p
    return None


def _aws_cli():
    for p in (shutil.which("aws"), os.path.expanduser("~/.pyenv/shims/aws")):
        if p and os.path.exists(p):
            try:
                r = subprocess.run([p, "--version"], capture_output=True,
                                   timeout=30)
            except (OSError, subprocess.TimeoutExpired):
                continue
            if r.returncode == 0:
                return p
    return None


def _read_with_cli(aws, url, stream):
    def run(*args):
        res = subprocess.run([aws, "--endpoint-url", url, "--output", "json",
                              "kinesis"] + list(args), capture_output=True,
                             env=aws_env(), timeout=120)
        if res.returncode != 0:
            raise Fatal("aws kinesis %s failed: %s" % (
                args[0], res.stderr[-500:].decode("utf-8", "replace")))
        return json.loads(res.stdout)
    out = []
    for shard in run("list-shards", "--stream-name", stream)["Shards"]:
        sid = shard["ShardId"]
        it = run("get-shard-iterator", "--stream-name", stream, "--shard-id",
                 sid, "--shard-iterator-type", "TRIM_HORIZON")["ShardIterator"]
        while it:
            page = run("get-records", "--shard-iterator", it, "--limit", "10000")
            for r in page["Records"]:
                # The CLI prints blobs base64-encoded.
                out.append((sid, r["SequenceNumber"], r["PartitionKey"],
                            base64.b64decode(r["Data"])))
            if not page["Records"] and page.get("MillisBehindLatest", 0) == 0:
                break
            it = page.get("NextShardIterator")
    return out


def independent_reader():
    """(description, read(url, stream)) for the independent reader, or
    (reason, None) when neither botocore nor the AWS CLI is here."""
    py = _python_with_botocore()
    if py:
        def read(url, stream):
            res = subprocess.run([py, BOTOCORE_READER, url, stream],
                                 capture_output=True, env=aws_env(),
                                 timeout=120)
            if res.returncode != 0:
                raise Fatal("botocore reader on %s exited %d: %s" % (
                    stream, res.returncode,
                    res.stderr[-1000:].decode("utf-8", "replace")))
            return _parse_reader_lines(res.stdout.decode("utf-8"), "botocore")
        return "botocore (%s)" % py, read
    aws = _aws_cli()
    if aws:
        return "AWS CLI (%s)" % aws, lambda url, stream: _read_with_cli(
            aws, url, stream)
    return "neither botocore nor the AWS CLI is installed", None
