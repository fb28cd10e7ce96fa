#!/usr/bin/python3
"""Golden test of the /metrics scrape ("nothing else changed").

Usage: /usr/bin/python3 golden_metrics_test.py STREAMGATE SOURCE_DIR [--update]

Starts the real gateway (free 127.0.0.1 ports) with a metrics listener, a
root dead_letter file and five modules of different kinds: three file sinks
(one spooled, one with queue bounds and rotation), a stdout sink with
use_uuid, and a Kinesis sink whose endpoint refuses connections
(http://127.0.0.1:1, fake credentials in the environment, so it can never
deliver). Sends a fixed set of gRPC inputs (unary events and bulk data, one
Publish stream; valid, unrouted and invalid ones, every event with a fixed
timestamp so record bytes are fixed), polls /metrics until everything has
settled (bounded: 20 s), then renders

  ## lines: the HTTP status and Content-Type of the scrape, and the outcome
     (status code and message) of every input, in order;
  the scrape itself, normalised (below), families and series in the order
     the gateway writes them;

and compares the text exactly with tests/e2e/golden/metrics.txt (a unified
diff on mismatch). --update rewrites that file from this run.

The gateway's exit code after SIGTERM is not part of the golden text: with
a Kinesis module that cannot deliver it is 0 or 1 by a race between the
module's flush and the shutdown deadline (both end at the same instant).

Normalised (everything else, every HELP/TYPE line, family, label set and
value, is kept verbatim):
  - process_* values                                   -> <varies>
  - histogram _bucket and _sum values (latencies)       -> <varies>
  - streamgate_module_spool_fsync_seconds_total (time)  -> <positive> when > 0
  - streamgate_module_spool_fsyncs_total and
    streamgate_module_spool_commit_writes_total: how many inputs share one
    group-commit write and sync depends on timing      -> <positive> when > 0
  - counters that count Kinesis retry attempts, which grow with time
    (streamgate_kinesis_requests_sent_total, streamgate_kinesis_requests_total,
    streamgate_kinesis_errors_total, streamgate_module_records_retried_total)
    and histogram _count values                         -> <positive> when > 0
    (a 0 stays 0)
Exit 0 = pass.
"""

import os
import re
import signal
import sys
import tempfile
import traceback
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "lib"))
import golden  # noqa: E402
import harness  # noqa: E402
from harness import Fatal, Gateway  # noqa: E402

CALL_TIMEOUT = 10.0
SETTLE_TIMEOUT = 20.0
GOLDEN = os.path.join(golden.GOLDEN_DIR, "metrics.txt")
TS_SECONDS = 1714564800  # 2024-05-01T12:00:00Z

CONFIG = """\
grpc: {{listen: "127.0.0.1:{port}"}}
metrics: {{listen: "127.0.0.1:{metrics_port}"}}
shutdown_timeout_ms: 500
limits: {{max_record_bytes: 1024}}
devices:
  - {{id: 42, home_id: 7, class: thermostat}}
  - {{id: 43, home_id: 8, class: meter}}
dead_letter: {{path: "{dir}/dead/root.jsonl", max_bytes: 65536, keep: 1}}
modules:
  - id: files
    description: temperatures and alarms to a file
    subscribe_events: ["temp", "alarm"]
    sink: {{type: file, path: "{dir}/files.jsonl"}}
  - id: console
    description: alarms and the logs bulk label to stdout, random keys
    subscribe_events: ["alarm"]
    bulk_data_label: logs
    use_uuid: true
    sink: {{type: stdout}}
  - id: spooled
    subscribe_events: ["temp"]
    bulk_data_label: telemetry
    spool: {{dir: "{dir}/spool", max_bytes: 1048576, fsync: always}}
    sink: {{type: file, path: "{dir}/spooled.jsonl"}}
  - id: bounded
    subscribe_events: ["*"]
    queue: {{max_records: 1000, max_bytes: 1048576}}
    sink: {{type: file, path: "{dir}/bounded.jsonl", rotate_bytes: 1048576}}
  - id: kin
    description: Kinesis with an endpoint that refuses connections
    subscribe_events: ["kin"]
    sink:
      type: kinesis
      region: us-east-1
      stream_name: nowhere
      endpoint: "http://127.0.0.1:1"
      linger_ms: 10
      connect_timeout_ms: 500
      request_timeout_ms: 1000
      initial_backoff_ms: 50
      max_backoff_ms: 200
"""

# Counters of time spent, and of group-commit writes and syncs (how many
# inputs share one depends on timing): their values vary from run to run.
TIMED = {"streamgate_module_spool_fsync_seconds_total",
         "streamgate_module_spool_fsyncs_total",
         "streamgate_module_spool_commit_writes_total"}
KINESIS_GROWING = {
    "streamgate_kinesis_requests_sent_total",
    "streamgate_kinesis_requests_total",
    "streamgate_kinesis_errors_total",
    "streamgate_module_records_retried_total",
}

SAMPLE = re.compile(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{.*\})? (\S+)$")


def parse_samples(text):
    """{(name, labels text): value float} and {family: type}."""
    types, values = {}, {}
    for line in text.splitlines():
        if line.startswith("# TYPE "):
            parts = line.split(" ")
            if len(parts) == 4:
                types[parts[2]] = parts[3]
            continue
        m = SAMPLE.match(line)
        if m:
            try:
                values[(m.group(1), m.group(2) or "")] = float(m.group(3))
            except ValueError:
                pass
    return values, types


def histogram_base(name, types):
    for suffix in ("_bucket", "_sum", "_count"):
        if name.endswith(suffix) and types.get(name[:-len(suffix)]) == "histogram":
            return name[:-len(suffix)], suffix
    return None, None


def normalise(text):
    _, types = parse_samples(text)
    out = []
    for line in text.splitlines(keepends=True):
        m = SAMPLE.match(line.rstrip("\n"))
        if line.startswith("#") or not m:
            out.append(line)
            continue
        name, labels, value = m.group(1), m.group(2) or "", m.group(3)
        base, suffix = histogram_base(name, types)
        try:
            positive = float(value) > 0
        except ValueError:
            positive = True
        if name.startswith("process_") or suffix in ("_bucket", "_sum"):
            value = "<varies>"
        elif (name in KINESIS_GROWING or name in TIMED
              or suffix == "_count"):
            value = "<positive>" if positive else value
        out.append("%s%s %s\n" % (name, labels, value))
    return "".join(out)


def settled(text):
    """True when every record has gone as far as it ever will: queues empty,
    every record handed to its sink, the non-Kinesis sinks have delivered
    everything, the spool holds nothing, the Kinesis module has failed and
    scheduled retries (its retried counter stays 0: retries are counted from
    delivery reports, when a batch settles), and every door reject is in the
    dead-letter file."""
    v, _ = parse_samples(text)

    def g(name, **labels):
        key = ",".join('%s="%s"' % kv for kv in labels.items())
        return v.get((name, "{%s}" % key if key else ""))

    for mod in ("files", "console", "spooled", "bounded", "kin"):
        acc = g("streamgate_module_records_accepted_total", module=mod)
        if not acc or g("streamgate_module_queue_depth_records", module=mod) != 0:
            return False
        if g("streamgate_module_sink_records_written_total", module=mod) != acc:
            return False
        pending = g("streamgate_module_sink_records_pending", module=mod)
        delivered = g("streamgate_module_records_delivered_total", module=mod)
        if mod == "kin":
            if pending != acc or delivered != 0:
                return False
        elif pending != 0 or delivered != acc:
            return False
    if g("streamgate_module_spool_bytes", module="spooled") != 0:
        return False
    for name, labels in (
            ("streamgate_kinesis_requests_total",
             dict(module="kin", outcome="transport_error")),
            ("streamgate_kinesis_errors_total",
             dict(module="kin", code="ConnectFailed")),
            ("streamgate_kinesis_request_duration_seconds_count",
             dict(module="kin"))):
        if not g(name, **labels):
            return False
    rejects = sum(g("streamgate_door_rejects_total", source=s) or 0
                  for s in ("grpc", "mqtt"))
    return rejects > 0 and g("streamgate_dead_letter_lines_written_total") == rejects


def scrape(port):
    with urllib.request.urlopen("http://127.0.0.1:%d/metrics" % port,
                                timeout=CALL_TIMEOUT) as resp:
        return (resp.status, resp.headers.get("Content-Type", ""),
                resp.read().decode("utf-8"))


def send_inputs(pb, pbg, channel):
    """The fixed load; returns one '## ...' line per input with its outcome."""
    import grpc
    from google.protobuf import timestamp_pb2
    stub = pbg.GatewayStub(channel)
    n = [0]

    def ts():
        n[0] += 1
        return timestamp_pb2.Timestamp(seconds=TS_SECONDS + n[0],
                                       nanos=125000000)

    def event(event_type, device=42, **kw):
        ev = pb.Event(event_type=event_type, timestamp=ts(), **kw)
        if device is not None:
            ev.origin_device_id = device
        ev.event_data.update({"n": n[0]})
        return ev

    lines = []

    def unary(what, call, msg):
        try:
            resp = call(msg, timeout=CALL_TIMEOUT)
            lines.append("## %s -> OK records=%d message=%r\n"
                         % (what, resp.records, resp.message))
        except grpc.RpcError as e:
            lines.append("## %s -> %s %r\n" % (what, e.code().name, e.details()))

    for i in range(3):
        unary("PublishEvent temp #%d" % i, stub.PublishEvent, event("temp"))
    for i in range(2):
        unary("PublishEvent alarm #%d (device 43)" % i, stub.PublishEvent,
              event("alarm", device=43))
    for i in range(2):
        unary("PublishEvent kin #%d" % i, stub.PublishEvent, event("kin"))
    unary("PublishEvent unrouted", stub.PublishEvent, event("nobody"))
    unary("PublishEvent no device, home 9", stub.PublishEvent,
          event("temp", device=None, home_id=9))
    unary("PublishEvent unknown device 999", stub.PublishEvent,
          event("temp", device=999))
    unary("PublishEvent empty type", stub.PublishEvent, pb.Event(event_type=""))
    unary("PublishEvent home_id -1", stub.PublishEvent,
          event("temp", home_id=-1))
    bad_ts = event("temp")
    bad_ts.timestamp.nanos = -5
    unary("PublishEvent timestamp.nanos -5", stub.PublishEvent, bad_ts)
    big = event("temp")
    big.event_data.update({"pad": "x" * 2000})
    unary("PublishEvent over max_record_bytes", stub.PublishEvent, big)
    unary("PublishBulkData logs x2", stub.PublishBulkData,
          pb.BulkData(device_id=42, label="logs", records=[b"a", b"bb"]))
    unary("PublishBulkData telemetry x1", stub.PublishBulkData,
          pb.BulkData(device_id=43, label="telemetry", records=[b"\x00\x01"]))
    unary("PublishBulkData unrouted label", stub.PublishBulkData,
          pb.BulkData(device_id=42, label="nobody", records=[b"z"]))
    unary("PublishBulkData bad MessagePack", stub.PublishBulkData,
          pb.BulkData(device_id=42, label="logs", msgpack_payload=b"\xa3xx"))
    unary("PublishBulkData device 0", stub.PublishBulkData,
          pb.BulkData(device_id=0, label="logs", records=[b"q"]))
    items = [
        pb.PublishRequest(id=1, event=event("temp")),
        pb.PublishRequest(id=2, batch=pb.EventBatch(
            events=[event("alarm", device=43), event("temp")])),
        pb.PublishRequest(id=3),
        pb.PublishRequest(id=4, bulk_data=pb.BulkData(
            device_id=42, label="logs", records=[b"s1"])),
        pb.PublishRequest(id=5, event=pb.Event(event_type="")),
    ]
    try:
        for a in stub.Publish(iter(items), timeout=CALL_TIMEOUT):
            lines.append("## Publish stream answer id=%d code=%d records=%d "
                         "message=%r\n" % (a.id, a.code, a.records, a.message))
    except grpc.RpcError as e:
        lines.append("## Publish stream -> %s %r\n" % (e.code().name, e.details()))
    return lines


def main():
    (binary, src), update = golden.split_args(sys.argv, __doc__, 2)
    work = tempfile.mkdtemp(prefix="streamgate-golden-metrics-")
    gw = None
    ok = False
    try:
        harness.generate_stubs(src, os.path.join(work, "stubs"))
        from streamgate.v1 import gateway_pb2 as pb
        from streamgate.v1 import gateway_pb2_grpc as pbg

        port, mport = harness.free_port(), harness.free_port()
        os.environ["AWS_ACCESS_KEY_ID"] = "AKIDSTREAMGATEGOLDEN"
        os.environ["AWS_SECRET_ACCESS_KEY"] = "not-a-real-secret"
        os.environ.pop("AWS_SESSION_TOKEN", None)
        os.environ.pop("AWS_PROFILE", None)
        os.environ["AWS_EC2_METADATA_DISABLED"] = "true"
        gw = Gateway(binary, work, CONFIG.format(port=port, metrics_port=mport,
                                                 dir=work))
        gw.start()
        channel = gw.serving_channel(port, timeout=20)
        rpc_lines = send_inputs(pb, pbg, channel)
        channel.close()

        last = [None]

        def poll():
            try:
                last[0] = scrape(mport)
            except OSError as e:  # includes HTTP errors: compare what we got
                last[0] = (getattr(e, "code", 0), "", "scrape failed: %s\n" % e)
                return False
            return last[0][0] == 200 and settled(last[0][2])
        if not golden.wait_until(poll, SETTLE_TIMEOUT, step=0.1):
            print("WARNING: /metrics did not settle within %.0f s; comparing "
                  "the last scrape" % SETTLE_TIMEOUT)
        status, ctype, text = last[0]

        gw.signal(signal.SIGTERM)
        gw.wait_exit(timeout=20)  # 0 or 1: see the docstring

        actual = ("## GET /metrics -> HTTP %d, Content-Type: %s\n" % (status, ctype)
                  + "".join(rpc_lines) + normalise(text))
        ok = golden.compare(actual, GOLDEN, update, keep_dir=work)
    except Fatal as e:
        print("FAIL: %s" % e)
    except Exception:
        print("FAIL: exception:\n" + traceback.format_exc())
    finally:
        if gw is not None:
            gw.kill()
            gw.close_files()
    return golden.verdict("golden_metrics_test", ok, work)


if __name__ == "__main__":
    sys.exit(main())
