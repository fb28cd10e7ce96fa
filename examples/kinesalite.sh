#!/usr/bin/env bash
# Starts kinesalite (a local, in-memory implementation of the Kinesis API)
# bound to 127.0.0.1, creates a stream, prints how to point the gateway at
# it, and keeps running in the foreground until Ctrl-C.
#
#   examples/kinesalite.sh [--port 4567] [--stream examples] [--shards 2]
#
# It installs nothing. It needs node and the kinesalite npm module, looked
# for in examples/node_modules/ and then in tests/node_modules/ (where
# ./tools/test puts it, pinned by tests/package-lock.json). Without them:
#   apt-get install -y nodejs npm            # Debian 12, as root
#   (cd tests && npm ci)                     # what ./tools/test runs
# Stream data lives in memory: it is gone when kinesalite stops.
set -euo pipefail

port=4567
stream=examples
shards=2
usage() {
  sed -n 's/^#   examples/examples/p' "${BASH_SOURCE[0]}" >&2
  exit 2
}
while [ $# -gt 0 ]; do
  case "$1" in
    --port) port="${2:?--port needs a value}"; shift 2 ;;
    --stream) stream="${2:?--stream needs a value}"; shift 2 ;;
    --shards) shards="${2:?--shards needs a value}"; shift 2 ;;
    -h|--help) usage ;;
    *) echo "kinesalite.sh: unknown argument '$1'" >&2; usage ;;
  esac
done

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
module=""
for dir in "$root/examples/node_modules/kinesalite" "$root/tests/node_modules/kinesalite"; do
  if [ -f "$dir/package.json" ]; then module="$dir"; break; fi
done
if ! command -v node >/dev/null; then
  echo "kinesalite.sh: node is not installed (Debian: apt-get install -y nodejs npm)" >&2
  exit 1
fi
if [ -z "$module" ]; then
  echo "kinesalite.sh: the kinesalite module is not installed. Either" >&2
  echo "  (cd $root/tests && npm ci)    # the pinned test dependencies, as ./tools/test does" >&2
  echo "or" >&2
  echo "  (cd $root/examples && npm install --no-save kinesalite@3.3.3)" >&2
  exit 1
fi

# One node process: kinesalite itself, then the CreateStream call against
# it. kinesalite requires an Authorization header of the SigV4 form but
# never checks the signature, so a dummy one does.
export KL_MODULE="$module" KL_PORT="$port" KL_STREAM="$stream" KL_SHARDS="$shards"
exec node -e '
const http = require("http");
const {KL_MODULE: mod, KL_STREAM: stream} = process.env;
const port = Number(process.env.KL_PORT), shards = Number(process.env.KL_SHARDS);
const server = require(mod)({createStreamMs: 0, deleteStreamMs: 0, updateStreamMs: 0});
server.on("error", (e) => {
  console.error(`kinesalite.sh: cannot listen on 127.0.0.1:${port}: ${e.message}`);
  process.exit(1);
});

function call(action, body) {
  return new Promise((resolve, reject) => {
    const amzDate = new Date().toISOString().replace(/[-:]/g, "").replace(/\.\d+/, "");
    const req = http.request({host: "127.0.0.1", port, method: "POST", path: "/", headers: {
      "Content-Type": "application/x-amz-json-1.1",
      "X-Amz-Target": "Kinesis_20131202." + action,
      "X-Amz-Date": amzDate,
      "Authorization": `AWS4-HMAC-SHA256 Credential=x/${amzDate.slice(0, 8)}/us-east-1/kinesis/aws4_request, ` +
                       "SignedHeaders=content-type;host;x-amz-date;x-amz-target, Signature=" + "0".repeat(64),
    }}, (res) => {
      let data = "";
      res.on("data", (c) => data += c);
      res.on("end", () => res.statusCode === 200 ? resolve(data ? JSON.parse(data) : {})
                                                 : reject(new Error(`${action}: HTTP ${res.statusCode} ${data}`)));
    });
    req.on("error", reject);
    req.end(JSON.stringify(body));
  });
}

server.listen(port, "127.0.0.1", async () => {
  const url = `http://127.0.0.1:${port}`;
  console.log(`kinesalite: listening on ${url} (in memory; Ctrl-C stops it)`);
  try {
    await call("CreateStream", {StreamName: stream, ShardCount: shards});
    for (let i = 0; ; i++) {
      const d = await call("DescribeStreamSummary", {StreamName: stream});
      if (d.StreamDescriptionSummary.StreamStatus === "ACTIVE") break;
      if (i > 200) throw new Error("stream not ACTIVE after 10 s");
      await new Promise((r) => setTimeout(r, 50));
    }
  } catch (e) {
    console.error("kinesalite.sh: " + e.message);
    process.exit(1);
  }
  const creds = "AWS_ACCESS_KEY_ID=x AWS_SECRET_ACCESS_KEY=x";
  const fits = port === 4567 && stream === "examples";
  console.log(`kinesalite: stream "${stream}" (${shards} shards) is ACTIVE`);
  console.log("");
  console.log("Point the gateway at it (any credentials: kinesalite does not check them):");
  console.log(`  ${creds} build/bin/streamgate --config examples/grpc-kinesalite.yaml`);
  if (!fits) {
    console.log(`  (first set sink.endpoint: ${url} and sink.stream_name: ${stream} in the config)`);
  }
  console.log("Read the stream back:");
  console.log(`  ${creds} build/bin/streamgate-tail --stream ${stream} --region us-east-1 --endpoint ${url} --from oldest`);
});
'
