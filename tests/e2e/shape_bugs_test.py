#!/usr/bin/python3
"""Black-box end-to-end tests for six known bugs (red until they are fixed).

Usage:
  /usr/bin/python3 shape_bugs_test.py STREAMGATE SOURCE_DIR [--ctl CTL] [CASE...]

CASE is a case name or its number (default: all six):
  1 kinesis_shutdown_dead_letter  memory-queue Kinesis records unstored at
                                  SIGTERM go to the dead-letter file (sink
                                  dead_letter_path, endpoint down; root
                                  dead_letter:, no credentials) and the log
                                  gives one count
  2 ctl_dead_lettered             `streamgate-ctl modules` shows delivered and
                                  dead-lettered apart, matching /metrics
  3 stream_reject_logged          a rejected Publish stream item is logged
                                  (WARN/ERROR) with its id and reason
  4 unparsable_request            a request gRPC cannot parse (invalid UTF-8 in
                                  a string, Struct nested past the recursion
                                  limit) gets INVALID_ARGUMENT with a message,
                                  a log line and a /metrics counter
  5 log_injection                 a client string with "module 'X'" or a
                                  newline neither lands in module X's log /
                                  state nor forges a stderr line
  6 duplicate_yaml_keys           a duplicate YAML key is a config error naming
                                  the key and both lines

CTL defaults to streamgate-ctl next to STREAMGATE. Each case starts its own
gateway(s) on free 127.0.0.1 ports, takes < 20 s, prints PASS/FAIL; exit 1
if any case failed, 2 on bad usage. What a fixed gateway must print where
the format is new (ctl column, metric name) is spelled out in each case's
docstring.
"""

import argparse
import base64
import http.server
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import traceback
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "lib"))
import harness  # noqa: E402
from harness import Checker, Fatal, Gateway  # noqa: E402

CALL_TIMEOUT = 5.0
# Dummy credentials for the sinks that must get as far as the endpoint.
AWS_DUMMY = {"AWS_ACCESS_KEY_ID": "AKIDSHAPEBUGSTEST",
             "AWS_SECRET_ACCESS_KEY": "shape-bugs-dummy-not-real"}
AWS_VARS = ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
            "AWS_PROFILE", "AWS_ROLE_ARN", "AWS_WEB_IDENTITY_TOKEN_FILE",
            "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
            "AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_SHARED_CREDENTIALS_FILE",
            "AWS_CONFIG_FILE")
LOG_LINE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?Z (\w+) (.*)$")
WARN_LEVELS = {"warn", "warning", "error", "err", "critical"}

STUBS = {}  # filled by main(): gateway_pb2, gateway_pb2_grpc, admin_pb2, ...


# --------------------------------------------------------------- helpers ---

class Ctx:
    """What every case gets: the binaries, a private work dir, a Checker,
    and the gateways it started (killed at the end whatever happens)."""

    def __init__(self, binary, ctl, src, work):
        self.binary, self.ctl, self.src, self.work = binary, ctl, src, work
        self.chk = Checker()
        self.gateways = []

    def gateway(self, config, name="gw", env=None):
        """Starts a gateway with `config`; `env` entries are set (None:
        removed) in its environment only."""
        gw = Gateway(self.binary, self.work, config, name=name)
        self.gateways.append(gw)
        saved = dict(os.environ)
        try:
            os.environ["AWS_EC2_METADATA_DISABLED"] = "true"
            for k, v in (env or {}).items():
                if v is None:
                    os.environ.pop(k, None)
                else:
                    os.environ[k] = v
            gw.start()  # Popen copies the environment now
        finally:
            os.environ.clear()
            os.environ.update(saved)
        return gw

    def serving(self, gw, port):
        """A channel to the gateway once it is SERVING. Waits for the port
        first: a channel whose first connect is refused backs off ~5 s."""
        import grpc
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and gw.proc.poll() is None:
            try:
                socket.create_connection(("127.0.0.1", port), 0.2).close()
                break
            except OSError:
                time.sleep(0.02)
        ch = grpc.insecure_channel("127.0.0.1:%d" % port, options=[
            ("grpc.initial_reconnect_backoff_ms", 50),
            ("grpc.min_reconnect_backoff_ms", 50),
            ("grpc.max_reconnect_backoff_ms", 200)])
        gw.wait_serving(ch, timeout=10)
        return ch

    def cleanup(self):
        for g in self.gateways:
            g.kill()
            g.close_files()


def read_text(path):
    try:
        with open(path, "rb") as f:
            return f.read().decode("utf-8", "replace")
    except OSError:
        return ""


def log_lines(gw):
    """The gateway's stderr as [(level, message, raw_line)]; lines that do
    not start with a timestamp and a level get level None."""
    out = []
    for line in read_text(gw.stderr_path).split("\n"):
        m = LOG_LINE.match(line)
        out.append((m.group(1).lower(), m.group(2), line) if m
                   else (None, line, line))
    return out


def stop(gw, timeout=12):
    gw.signal(signal.SIGTERM)
    rc = gw.wait_exit(timeout=timeout)
    gw.close_files()
    return rc


def wait_until(cond, timeout, step=0.05):
    deadline = time.monotonic() + timeout
    while True:
        v = cond()
        if v or time.monotonic() >= deadline:
            return v
        time.sleep(step)


def scrape(port):
    with urllib.request.urlopen("http://127.0.0.1:%d/metrics" % port,
                                timeout=CALL_TIMEOUT) as resp:
        return resp.read().decode("utf-8")


def metric_samples(text):
    """[(name, labels_text, value)] for every sample line of /metrics."""
    out = []
    for line in text.split("\n"):
        if not line or line.startswith("#"):
            continue
        m = re.match(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})? (\S+)", line)
        if m:
            try:
                out.append((m.group(1), m.group(2) or "", float(m.group(3))))
            except ValueError:
                pass
    return out


def metric(text, name, **labels):
    want = {k: v for k, v in labels.items()}
    for n, ls, v in metric_samples(text):
        if n != name:
            continue
        got = dict(re.findall(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"', ls))
        if got == want:
            return v
    return None


def run_ctl(ctx, args):
    env = dict(os.environ)
    env.pop("STREAMGATE_API_KEY", None)
    res = subprocess.run([ctx.ctl] + args, capture_output=True, text=True,
                         timeout=15, env=env)
    return res.returncode, res.stdout, res.stderr


def parse_table(out):
    """Parses `streamgate-ctl modules`' table by the header's column starts
    (columns are separated by 2+ spaces; a header may contain one space, a
    value may contain spaces). Returns (header names, {module: {name: value}})."""
    lines = out.split("\n")
    hi = next((i for i, ln in enumerate(lines) if ln.startswith("MODULE")), None)
    if hi is None:
        return [], {}
    header = lines[hi]
    cols = [(m.start(), m.group(0)) for m in re.finditer(r"\S+(?: \S+)*", header)]
    rows = {}
    for ln in lines[hi + 1:]:
        if not ln.strip():
            break  # the last-error lines follow a blank line
        vals = {}
        for i, (start, name) in enumerate(cols):
            end = cols[i + 1][0] if i + 1 < len(cols) else len(ln)
            vals[name] = ln[start:end].strip()
        rows[vals.get("MODULE", "")] = vals
    return [c[1] for c in cols], rows


def column(names, pred):
    return next((n for n in names if pred(n.upper())), None)


def as_int(s):
    try:
        return int(s)
    except (TypeError, ValueError):
        return None


# Protobuf wire format by hand (tests 4): the generated classes refuse to
# build these messages.
def varint(n):
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def field_bytes(number, payload):
    return varint(number << 3 | 2) + varint(len(payload)) + payload


def nested_struct(levels):
    """google.protobuf.Struct {"a": {"a": ... {} }} `levels` Structs deep
    (each level is Struct -> fields map entry -> Value -> struct_value)."""
    s = b""
    for _ in range(levels - 1):
        value = field_bytes(5, s)                       # Value.struct_value
        entry = field_bytes(1, b"a") + field_bytes(2, value)  # map entry
        s = field_bytes(1, entry)                       # Struct.fields
    return s


# ----------------------------------------------------------------- cases ---

# Enough records that the sink's Close (which dead-letters them) takes
# milliseconds: with a handful, today's gateway sometimes wins the race
# between Close and the shutdown deadline and writes them all.
N_CASE1 = 2000
KIN_DL_CONFIG = """\
grpc: {{listen: "127.0.0.1:{port}"}}
shutdown_timeout_ms: 2000
devices: [{{id: 42, home_id: 7}}]
{root_dl}
modules:
  - id: kin
    subscribe_events: ["dl.shutdown"]
    sink:
      type: kinesis
      stream_name: nowhere
      region: us-east-1
      endpoint: "http://127.0.0.1:1"
      connect_timeout_ms: 200
      request_timeout_ms: 500
      initial_backoff_ms: 50
      max_backoff_ms: 200
{sink_dl}"""


def case_kinesis_shutdown_dead_letter(ctx):
    """Bug 1. A Kinesis module with a memory queue, N_CASE1 (2000) events
    accepted over gRPC (Publish stream, batches of 100), none storable
    (variant A: endpoint refuses connections, the sink's own
    `dead_letter_path`; variant B: no AWS credentials at all, the root
    `dead_letter:` file), SIGTERM half a second later.

    Expected (README "Dead letters", sinks/kinesis/README.md "Delivery": "At
    shutdown, records not yet stored are dead-lettered with a memory queue"):
      - the dead-letter file has exactly 2000 lines, module "kin", whose
        base64 `data` decode to the 2000 events (each once);
      - the shutdown log gives ONE count for the module: every
        "<N> record(s)" / "<N> records" figure in a line naming the module
        after "shutting down" is 2000 (no "0 records still queued are lost"
        next to "2000 record(s) not yet delivered"), and there is at least
        one ("will be retried" lines are ignored).
    The exit code is printed, not checked."""
    import grpc
    pb, pbg = STUBS["gateway_pb2"], STUBS["gateway_pb2_grpc"]
    chk = ctx.chk
    home = os.path.join(ctx.work, "empty-home")
    os.makedirs(home, exist_ok=True)
    variants = [
        ("A endpoint down + sink dead_letter_path", "sink-dead.jsonl", "",
         "      dead_letter_path: \"%s\"\n" % os.path.join(ctx.work, "sink-dead.jsonl"),
         dict(AWS_DUMMY)),
        ("B no credentials + root dead_letter:", "root-dead.jsonl",
         "dead_letter: {path: \"%s\"}" % os.path.join(ctx.work, "root-dead.jsonl"),
         "", dict({k: None for k in AWS_VARS}, HOME=home)),
    ]
    for label, dl_name, root_dl, sink_dl, env in variants:
        port = harness.free_port()
        name = "gw" + label[0]
        gw = ctx.gateway(KIN_DL_CONFIG.format(port=port, root_dl=root_dl,
                                              sink_dl=sink_dl), name=name, env=env)
        ch = ctx.serving(gw, port)
        stub = pbg.GatewayStub(ch)
        tags = ["sg1%s-%05d" % (label[0], i) for i in range(N_CASE1)]
        items = []
        for b in range(0, N_CASE1, 100):
            batch = pb.EventBatch()
            for tag in tags[b:b + 100]:
                ev = batch.events.add(event_type="dl.shutdown", home_id=7)
                ev.event_data.update({"tag": tag})
                ev.origin_device_id = 42
            items.append(pb.PublishRequest(id=b, batch=batch))
        answers = list(stub.Publish(iter(items), timeout=CALL_TIMEOUT))
        refused = [(a.id, a.code, a.message) for a in answers if a.code != 0]
        if len(answers) != len(items) or refused:
            raise Fatal("%s: set-up: the %d events were not all accepted: %d "
                        "answers, refused %r" % (label, N_CASE1, len(answers),
                                                 refused[:3]))
        ch.close()
        time.sleep(0.5)  # let the sink take them and fail a first attempt
        t0 = time.monotonic()
        rc = stop(gw)
        print("  [%s] exit code %s after %.1f s" % (label, rc, time.monotonic() - t0))

        path = os.path.join(ctx.work, dl_name)
        raw = read_text(path)
        lines = [ln for ln in raw.split("\n") if ln]
        print("  [%s] dead-letter file %s: %d line(s)%s" % (
            label, dl_name, len(lines), "" if os.path.exists(path) else " (no file)"))
        found, wrong_module = [], []
        for ln in lines:
            try:
                obj = json.loads(ln)
                data = base64.b64decode(obj.get("data", ""))
            except (ValueError, TypeError) as e:
                chk.check(False, "%s: dead-letter line is not JSON with base64 "
                          "data (%s): %r" % (label, e, ln[:300]))
                continue
            if obj.get("module") != "kin":
                wrong_module.append(obj.get("module"))
            m = re.search(rb'"(sg1[AB]-\d{5})"', data)
            if m:
                found.append(m.group(1).decode())
        chk.check(not wrong_module, "%s: dead-letter lines with a module other "
                  "than kin: %r" % (label, wrong_module[:5]))
        missing = sorted(set(tags) - set(found))
        chk.check(len(lines) == len(tags) and sorted(found) == sorted(tags),
                  "%s: expected every one of the %d events accepted before "
                  "SIGTERM (unstored, memory queue) in the dead-letter file %s, "
                  "one line each with its base64 data; found %d line(s), %d "
                  "distinct events, %d missing (first: %r)" % (
                      label, len(tags), dl_name, len(lines), len(set(found)),
                      len(missing), missing[:3]))

        lines = log_lines(gw)
        start = next((i for i, (_, msg, _) in enumerate(lines)
                      if "shutting down" in msg), 0)
        counted = []
        for level, msg, raw_line in lines[start:]:
            if not re.search(r"\bkin\b", msg) or "will be retried" in msg:
                continue
            for n in re.findall(r"(\d+) (?:record\(s\)|records?)\b", msg):
                counted.append((int(n), raw_line))
        for _, ln in counted:
            print("  [%s] log: %s" % (label, ln))
        chk.check(counted and all(n == len(tags) for n, _ in counted),
                  "%s: expected the shutdown log to give one consistent count "
                  "(%d) of module kin's records left undelivered / "
                  "dead-lettered; the counts logged were %r" % (
                      label, len(tags), [n for n, _ in counted]))


class FakeKinesis:
    """A loopback Kinesis endpoint: stream "gone" answers 400
    ResourceNotFoundException (non-retryable: every record dead-lettered);
    any other stream answers 200 with a SequenceNumber per record, except
    records whose data contains b"sg-bad", which get the per-record
    non-retryable ErrorCode ValidationException (dead-lettered)."""

    def __init__(self):
        outer = self
        self.requests = 0

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *a):
                pass

            def do_POST(self):
                n = int(self.headers.get("Content-Length", "0"))
                body = json.loads(self.rfile.read(n) or b"{}")
                outer.requests += 1
                if body.get("StreamName") == "gone":
                    code, answer = 400, {
                        "__type": "ResourceNotFoundException",
                        "message": "Stream gone under account 000000000000 "
                                   "not found."}
                else:
                    recs, failed = [], 0
                    for i, r in enumerate(body.get("Records", [])):
                        if b"sg-bad" in base64.b64decode(r.get("Data", "")):
                            failed += 1
                            recs.append({"ErrorCode": "ValidationException",
                                         "ErrorMessage": "refused by the test"})
                        else:
                            recs.append({"SequenceNumber": "4959%020d" % (
                                outer.requests * 1000 + i),
                                "ShardId": "shardId-000000000000"})
                    code, answer = 200, {"FailedRecordCount": failed,
                                         "Records": recs}
                data = json.dumps(answer).encode()
                self.send_response(code)
                self.send_header("Content-Type", "application/x-amz-json-1.1")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever,
                                       daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


CTL_CONFIG = """\
grpc: {{listen: "127.0.0.1:{port}"}}
metrics: {{listen: "127.0.0.1:{mport}"}}
shutdown_timeout_ms: 2000
devices: [{{id: 42, home_id: 7}}]
dead_letter: {{path: "{dir}/dead.jsonl"}}
modules:
  - id: files
    subscribe_events: ["file"]
    sink: {{type: file, path: "{dir}/files.jsonl"}}
  - id: kin-mixed
    subscribe_events: ["mixed"]
    sink:
      type: kinesis
      stream_name: mixed
      region: us-east-1
      endpoint: "http://127.0.0.1:{kport}"
      linger_ms: 10
      initial_backoff_ms: 10
      max_backoff_ms: 50
      record_ttl_s: 1
  - id: kin-gone
    subscribe_events: ["gone"]
    sink:
      type: kinesis
      stream_name: gone
      region: us-east-1
      endpoint: "http://127.0.0.1:{kport}"
      linger_ms: 10
      initial_backoff_ms: 10
      max_backoff_ms: 50
      record_ttl_s: 1
"""


def case_ctl_dead_lettered(ctx):
    """Bug 2. Modules: files (5 delivered), kin-mixed (a fake Kinesis stores
    4 and refuses 3 for good: 4 delivered, 3 dead-lettered), kin-gone (stream
    not found: 0 delivered, 3 dead-lettered). /metrics is the reference.

    Expected of `streamgate-ctl modules` (today: DELIVERED shows
    records_settled, i.e. delivered + dead-lettered, and there is no
    dead-letter column):
      - a header column whose name contains "DEAD" (e.g. DEAD-LETTERED);
      - per module, the DELIVERED column equals
        streamgate_module_records_delivered_total{module} and the DEAD column
        equals streamgate_module_records_dead_lettered_total{module}.
    The table is parsed by the header's column positions (2+ spaces between
    columns), so order and widths may change; the header must still start
    with MODULE and keep a DELIVERED column."""
    import grpc
    pb, pbg = STUBS["gateway_pb2"], STUBS["gateway_pb2_grpc"]
    chk = ctx.chk
    fake = FakeKinesis()
    try:
        port, mport = harness.free_port(), harness.free_port()
        gw = ctx.gateway(CTL_CONFIG.format(
            port=port, mport=mport, kport=fake.port, dir=ctx.work), env=AWS_DUMMY)
        ch = ctx.serving(gw, port)
        stub = pbg.GatewayStub(ch)
        load = [("file", "sg-ok", 5), ("mixed", "sg-ok", 4), ("mixed", "sg-bad", 3),
                ("gone", "sg-any", 3)]
        for etype, tag, n in load:
            for i in range(n):
                ev = pb.Event(event_type=etype, home_id=7)
                ev.event_data.update({"tag": "%s-%d" % (tag, i)})
                ev.origin_device_id = 42
                try:
                    stub.PublishEvent(ev, timeout=CALL_TIMEOUT)
                except grpc.RpcError as e:
                    raise Fatal("PublishEvent %s refused: %s %s"
                                % (etype, e.code(), e.details()))
        want = {"files": (5, 0), "kin-mixed": (4, 3), "kin-gone": (0, 3)}

        def settled():
            text = scrape(mport)
            got = {m: (metric(text, "streamgate_module_records_delivered_total",
                              module=m),
                       metric(text, "streamgate_module_records_dead_lettered_total",
                              module=m)) for m in want}
            return text if got == want else None
        text = wait_until(settled, 10, 0.1) or scrape(mport)
        ref = {m: tuple(None if v is None else int(v) for v in (
            metric(text, "streamgate_module_records_delivered_total", module=m),
            metric(text, "streamgate_module_records_dead_lettered_total",
                   module=m))) for m in want}
        print("  /metrics (delivered, dead_lettered): %r" % ref)
        chk.eq(ref, want, "set-up: /metrics delivered / dead-lettered per module "
               "(the reference the ctl output is compared with)")

        rc, out, err = run_ctl(ctx, ["--target", "127.0.0.1:%d" % port, "modules"])
        print("  streamgate-ctl modules (rc %d):\n    %s" % (
            rc, "\n    ".join(out.rstrip("\n").split("\n"))))
        chk.eq(rc, 0, "ctl modules exit code (stderr %r)" % err)
        names, rows = parse_table(out)
        delivered_col = column(names, lambda n: n == "DELIVERED")
        dead_col = column(names, lambda n: "DEAD" in n)
        chk.check(delivered_col is not None,
                  "expected a DELIVERED column in `streamgate-ctl modules`; "
                  "header columns: %r" % names)
        chk.check(dead_col is not None,
                  "expected `streamgate-ctl modules` to show dead-lettered "
                  "records in their own column (a header containing DEAD, e.g. "
                  "DEAD-LETTERED); header columns: %r" % names)
        for m, (d, dl) in ref.items():
            row = rows.get(m)
            if not chk.check(row is not None, "no row for module %s in %r"
                             % (m, out)):
                continue
            if delivered_col:
                got = as_int(row.get(delivered_col))
                chk.check(got == d,
                          "module %s: expected ctl DELIVERED %s = /metrics "
                          "streamgate_module_records_delivered_total (dead "
                          "letters excluded), got %r" % (m, d, row.get(delivered_col)))
            if dead_col:
                got = as_int(row.get(dead_col))
                chk.check(got == dl,
                          "module %s: expected ctl %s %s = /metrics "
                          "streamgate_module_records_dead_lettered_total, got %r"
                          % (m, dead_col, dl, row.get(dead_col)))
        stop(gw)
    finally:
        fake.close()


STREAM_CONFIG = """\
grpc: {{listen: "127.0.0.1:{port}"}}
devices: [{{id: 42, home_id: 7}}]
modules:
  - id: files
    subscribe_events: ["*"]
    bulk_data_label: "*"
    sink: {{type: file, path: "{dir}/files.jsonl"}}
"""


def reason_in(msg, reason):
    """True if the log message carries the rejection reason: the item's
    response message, or it without its leading "event." / "bulk_data." /
    "batch." path."""
    tail = reason.split(".", 1)[1] if re.match(r"^[a-z_]+\.", reason) else reason
    return reason in msg or tail in msg


def case_stream_reject_logged(ctx):
    """Bug 3. Over one Publish stream: an event with no event_type, a bulk
    item with bad MessagePack, a batch with a negative home_id, an item with
    nothing set (each with a distinctive client id), and a good event.

    Expected (README: "every rejected input is logged at ERROR with its
    reason"): for each rejected item a WARN or ERROR line on stderr holding
    the item's id (as a whole number) and its reason (the response message,
    with or without its leading "event."/"bulk_data."/"batch." path). The
    unary PublishEvent rejection (logged today) is checked the same way as a
    control."""
    import grpc
    pb, pbg = STUBS["gateway_pb2"], STUBS["gateway_pb2_grpc"]
    chk = ctx.chk
    port = harness.free_port()
    gw = ctx.gateway(STREAM_CONFIG.format(port=port, dir=ctx.work))
    ch = ctx.serving(gw, port)
    stub = pbg.GatewayStub(ch)

    good = pb.Event(event_type="ok", home_id=7)
    good.origin_device_id = 42
    bad_batch = pb.EventBatch(events=[good, pb.Event(event_type="x", home_id=-1)])
    items = [
        pb.PublishRequest(id=7000000001, event=pb.Event(event_type="", home_id=7)),
        pb.PublishRequest(id=7000000002, event=good),
        pb.PublishRequest(id=7000000003, bulk_data=pb.BulkData(
            device_id=42, label="logs", msgpack_payload=b"\xa3not-a-map")),
        pb.PublishRequest(id=7000000004, batch=bad_batch),
        pb.PublishRequest(id=7000000005),
    ]
    answers = list(stub.Publish(iter(items), timeout=CALL_TIMEOUT))
    codes = {a.id: (a.code, a.message) for a in answers}
    print("  stream answers: %r" % codes)
    chk.eq(sorted(codes), sorted(i.id for i in items), "set-up: one answer per item")
    chk.eq(codes.get(7000000002, (None,))[0], 0, "set-up: the good item is accepted")
    rejected = {i: msg for i, (code, msg) in codes.items() if code == 3}
    chk.eq(sorted(rejected), [7000000001, 7000000003, 7000000004, 7000000005],
           "set-up: INVALID_ARGUMENT items")

    unary_reason = None
    try:
        stub.PublishEvent(pb.Event(event_type="", home_id=7), timeout=CALL_TIMEOUT)
        chk.check(False, "set-up: unary PublishEvent with no event_type accepted")
    except grpc.RpcError as e:
        unary_reason = e.details()
    ch.close()

    def logged(pred):
        return any(level in WARN_LEVELS and pred(msg)
                   for level, msg, _ in log_lines(gw))
    # control: the unary rejection is logged today
    chk.check(wait_until(lambda: logged(lambda m: "PublishEvent" in m and
                                        reason_in(m, unary_reason or "?")), 3),
              "control: the unary PublishEvent rejection (%r) is logged at "
              "WARN/ERROR" % unary_reason)
    def item_logged(item_id, reason):
        return logged(lambda m: re.search(r"(?<!\d)%d(?!\d)" % item_id, m)
                      is not None and reason_in(m, reason))
    wait_until(lambda: all(item_logged(i, r) for i, r in rejected.items()), 2)
    for item_id, reason in sorted(rejected.items()):
        ok = item_logged(item_id, reason)
        if not ok:
            print("  no log line for stream item %d (%s)" % (item_id, reason))
        chk.check(ok, "expected a WARN/ERROR log line for the rejected Publish "
                  "stream item id %d naming the id and its reason %r; none "
                  "found" % (item_id, reason))
    stop(gw)


UNPARSABLE_CONFIG = """\
grpc: {{listen: "127.0.0.1:{port}"}}
metrics: {{listen: "127.0.0.1:{mport}"}}
devices: [{{id: 42, home_id: 7}}]
modules:
  - id: files
    subscribe_events: ["*"]
    sink: {{type: file, path: "{dir}/files.jsonl"}}
"""


def case_unparsable_request(ctx):
    """Bug 4. Two PublishEvent requests gRPC cannot parse, sent as raw
    bytes: event_type = b"\\xff\\xfe" (invalid UTF-8 in a proto3 string), and
    an event_data Struct nested 150 Structs deep (past protobuf's recursion
    limit of 100).

    Expected (today: UNIMPLEMENTED, empty message, nothing logged or
    counted):
      - each call fails with INVALID_ARGUMENT and a non-empty message;
      - a WARN/ERROR log line for them (one naming PublishEvent, or saying
        "pars"/"unparsable"/"deserializ");
      - a /metrics counter: ASSUMED NAME — any family whose name contains
        "unparsable" or "parse" (suggested:
        streamgate_grpc_unparsable_requests_total{rpc="PublishEvent"}), whose
        samples add up to >= 2 (the number sent; labels free)."""
    import grpc
    chk = ctx.chk
    port, mport = harness.free_port(), harness.free_port()
    gw = ctx.gateway(UNPARSABLE_CONFIG.format(port=port, mport=mport, dir=ctx.work))
    ch = ctx.serving(gw, port)
    call = ch.unary_unary("/streamgate.v1.Gateway/PublishEvent",
                          request_serializer=lambda b: b,
                          response_deserializer=lambda b: b)
    home = varint(4 << 3) + varint(7)  # home_id = 7
    requests = [
        ("event_type with invalid UTF-8", field_bytes(1, b"\xff\xfe") + home),
        ("event_data Struct nested 150 deep",
         field_bytes(1, b"deep") + field_bytes(2, nested_struct(150)) + home),
    ]
    # The same bytes with a valid event_type / a shallow Struct are accepted:
    # the hand encoding itself is right.
    ok_requests = [field_bytes(1, b"ok") + home,
                   field_bytes(1, b"deep") + field_bytes(2, nested_struct(5)) + home]
    for i, raw in enumerate(ok_requests):
        try:
            call(raw, timeout=CALL_TIMEOUT)
            chk.check(True, "")
        except grpc.RpcError as e:
            chk.check(False, "set-up: well-formed hand-encoded request %d refused: "
                      "%s %r" % (i, e.code(), e.details()))
    for what, raw in requests:
        try:
            call(raw, timeout=CALL_TIMEOUT)
            code, details = grpc.StatusCode.OK, ""
        except grpc.RpcError as e:
            code, details = e.code(), e.details() or ""
        print("  %s: %s %r" % (what, code, details))
        chk.check(code == grpc.StatusCode.INVALID_ARGUMENT and details.strip(),
                  "%s: expected INVALID_ARGUMENT with a non-empty message, got "
                  "%s %r" % (what, code.name, details))
    ch.close()

    def logged():
        for level, msg, _ in log_lines(gw):
            low = msg.lower()
            if level in WARN_LEVELS and ("publishevent" in low or "pars" in low
                                         or "deserializ" in low):
                return msg
        return None
    line = wait_until(logged, 2)
    print("  log line: %r" % line)
    chk.check(line is not None,
              "expected a WARN/ERROR log line for the unparsable PublishEvent "
              "requests (naming PublishEvent or saying it could not be parsed); "
              "none found")

    text = scrape(mport)
    fams = {}
    for name, labels, value in metric_samples(text):
        if re.search(r"unparsable|parse", name, re.I):
            fams.setdefault(name, []).append((labels, value))
    print("  /metrics families with unparsable/parse: %r" % fams)
    best = max((sum(v for _, v in s) for s in fams.values()), default=None)
    chk.check(best is not None and best >= len(requests),
              "expected a /metrics counter counting unparsable requests (a "
              "family named like streamgate_grpc_unparsable_requests_total, "
              "any name containing 'unparsable' or 'parse') adding up to >= %d; "
              "found %r" % (len(requests), fams))
    stop(gw)


FORGED_TS = "2026-01-01T00:00:00.000Z"
FORGED = "x module 'files': boom\n%s error module 'files': forged" % FORGED_TS
INJECT_CONFIG = """\
grpc: {{listen: "127.0.0.1:{port}"}}
devices: [{{id: 42, home_id: 7}}]
modules:
  - id: files
    subscribe_events: ["*"]
    bulk_data_label: telemetry
    sink: {{type: file, path: "{dir}/files.jsonl"}}
  - id: other
    subscribe_events: ["other"]
    sink: {{type: file, path: "{dir}/other.jsonl"}}
"""


def case_log_injection(ctx):
    """Bug 5. The client string
    "x module 'files': boom\\n2026-01-01T00:00:00.000Z error module 'files': forged"
    sent as an event_type (rejected unary event, rejected stream item,
    accepted event) and as a bulk label (rejected, bad MessagePack: today's
    log line quotes the label).

    Expected:
      - module files' log (Admin GetModuleLog and `streamgate-ctl logs files`)
        holds nothing of it ("boom" / "forged");
      - `streamgate-ctl modules` (and ListModules) still show files "running"
        with 0 errors and no last error;
      - no stderr line starts with the forged timestamp, and wherever "boom"
        is logged it is followed by an escaped newline (\\n, \\x0a, \\u000a or
        \\012), not a line break. (If the string is never logged at all,
        that part passes.)"""
    import grpc
    pb, pbg = STUBS["gateway_pb2"], STUBS["gateway_pb2_grpc"]
    apb, apbg = STUBS["admin_pb2"], STUBS["admin_pb2_grpc"]
    chk = ctx.chk
    port = harness.free_port()
    gw = ctx.gateway(INJECT_CONFIG.format(port=port, dir=ctx.work))
    ch = ctx.serving(gw, port)
    stub = pbg.GatewayStub(ch)
    admin = apbg.AdminStub(ch)

    def attempt(fn, what):
        try:
            fn()
            return "OK"
        except grpc.RpcError as e:
            return "%s %s" % (e.code().name, e.details())
    bad_event = pb.Event(event_type=FORGED, home_id=-1)
    good_event = pb.Event(event_type=FORGED, home_id=7)
    good_event.origin_device_id = 42
    results = {
        "unary event (home_id -1)": attempt(
            lambda: stub.PublishEvent(bad_event, timeout=CALL_TIMEOUT), ""),
        "accepted event": attempt(
            lambda: stub.PublishEvent(good_event, timeout=CALL_TIMEOUT), ""),
        "bulk label (bad MessagePack)": attempt(
            lambda: stub.PublishBulkData(pb.BulkData(
                device_id=42, label=FORGED, msgpack_payload=b"\xa3not-a-map"),
                timeout=CALL_TIMEOUT), ""),
        "stream item": attempt(lambda: list(stub.Publish(iter([
            pb.PublishRequest(id=55, event=bad_event)]), timeout=CALL_TIMEOUT)), ""),
    }
    for k, v in results.items():
        print("  %s: %s" % (k, v.replace("\n", "\\n")[:160]))
    time.sleep(0.3)

    resp = admin.GetModuleLog(apb.GetModuleLogRequest(module_id="files"),
                              timeout=CALL_TIMEOUT)
    leaked = [e.message for e in resp.entries
              if "boom" in e.message or "forged" in e.message]
    for m in leaked:
        print("  files log entry: %r" % m[:200])
    chk.check(not leaked, "expected module files' log (GetModuleLog) to hold "
              "nothing of the client string naming module 'files'; it holds %r"
              % leaked)
    target = ["--target", "127.0.0.1:%d" % port]
    rc, out, err = run_ctl(ctx, target + ["logs", "files"])
    chk.check(rc == 0 and "boom" not in out and "forged" not in out,
              "expected `streamgate-ctl logs files` to show nothing of the "
              "client string; rc %d, output %r" % (rc, out[:500]))
    rc, out, err = run_ctl(ctx, target + ["modules"])
    print("  streamgate-ctl modules:\n    %s" % "\n    ".join(
        out.rstrip("\n").split("\n")))
    names, rows = parse_table(out)
    row = rows.get("files", {})
    state_col = column(names, lambda n: n == "STATE")
    err_col = column(names, lambda n: n.startswith("ERROR"))
    chk.check(row.get(state_col) == "running" and row.get(err_col) == "0"
              and "files last error" not in out,
              "expected `streamgate-ctl modules` to show module files running "
              "with 0 errors and no last error (a client string cannot mark it "
              "failing); got state %r, errors %r, output %r"
              % (row.get(state_col), row.get(err_col), out[-400:]))
    lm = admin.ListModules(apb.ListModulesRequest(), timeout=CALL_TIMEOUT)
    f = next((m for m in lm.modules if m.id == "files"), None)
    chk.check(f is not None and f.state == "running" and not f.last_error
              and f.counters.errors_logged == 0,
              "expected ListModules files: running, no last_error, 0 errors; "
              "got %r" % ((None if f is None else (f.state, f.last_error[:200],
                                                    f.counters.errors_logged)),))
    ch.close()
    stop(gw)

    text = read_text(gw.stderr_path)
    forged = [ln for ln in text.split("\n") if ln.startswith(FORGED_TS)]
    for ln in forged:
        print("  forged stderr line: %r" % ln)
    chk.check(not forged, "expected no stderr line starting with the forged "
              "timestamp %s (control characters in logged client strings "
              "escaped); found %r" % (FORGED_TS, forged))
    unescaped = []
    for ln in text.split("\n"):
        for m in re.finditer("boom", ln):
            after = ln[m.end():]
            if not re.match(r"(\\n|\\x0a|\\u000a|\\012)", after, re.I):
                unescaped.append(ln)
    chk.check(not unescaped, "expected every logged copy of the client string "
              "to show its newline escaped (boom\\n2026-...); these lines end "
              "or go on unescaped: %r" % unescaped)


DUP_API_KEYS = """\
# duplicate top-level key: api_keys (lines 5 and 13)
grpc: {{listen: "127.0.0.1:{port}"}}
devices: [{{id: 42, home_id: 7}}]

api_keys: []
modules:
  - id: files
    subscribe_events: ["*"]
    sink:
      type: file
      path: "{dir}/files.jsonl"

api_keys:
  - {{id: k1, name: ops, key_sha256: {digest}}}
"""
DUP_SINK_PATH = """\
# duplicate key inside a module's sink map: path (lines 9 and 12)
grpc: {{listen: "127.0.0.1:{port}"}}
devices: [{{id: 42, home_id: 7}}]
modules:
  - id: files
    subscribe_events: ["*"]
    sink:
      type: file
      path: "{dir}/first.jsonl"
      fsync: false

      path: "{dir}/second.jsonl"
"""


def case_duplicate_yaml_keys(ctx):
    """Bug 6. A config with `api_keys: []` (line 5) and a real `api_keys:`
    block (line 13); a config whose module sink map has `path` twice (lines 9
    and 12).

    Expected: `streamgate --check-config FILE` exits 1 and its output
    (stdout + stderr) names the key and both line numbers; starting the
    gateway with the api_keys one also exits 1 instead of serving
    anonymously."""
    chk = ctx.chk
    digest = "0" * 64
    cases = [("api_keys", DUP_API_KEYS, (5, 13)),
             ("path", DUP_SINK_PATH, (9, 12))]
    for key, tmpl, lines in cases:
        port = harness.free_port()
        path = os.path.join(ctx.work, "dup-%s.yaml" % key)
        with open(path, "w") as f:
            f.write(tmpl.format(port=port, dir=ctx.work, digest=digest))
        res = subprocess.run([ctx.binary, "--check-config", path],
                             capture_output=True, text=True, timeout=10)
        out = (res.stdout + res.stderr).replace(path, "FILE").replace(ctx.work, "DIR")
        print("  --check-config (duplicate %s): exit %d, %r" % (
            key, res.returncode, out.strip()))
        names_lines = all(re.search(r"(?<!\d)%d(?!\d)" % n, out) for n in lines)
        chk.check(res.returncode == 1 and key in out and names_lines,
                  "duplicate key %r: expected --check-config to exit 1 with a "
                  "message naming %r and both lines %d and %d; got exit %d, %r"
                  % (key, key, lines[0], lines[1], res.returncode, out.strip()))

    port = harness.free_port()
    gw = ctx.gateway(DUP_API_KEYS.format(port=port, dir=ctx.work, digest=digest),
                     name="dup")
    try:
        rc = gw.proc.wait(timeout=3)
    except subprocess.TimeoutExpired:
        rc = None
    gw.kill()
    gw.close_files()
    tail = [ln for ln in read_text(gw.stderr_path).split("\n") if ln][:4]
    print("  running with the duplicate api_keys: %s; log %r" % (
        "still running after 3 s" if rc is None else "exit %d" % rc, tail))
    chk.check(rc == 1, "expected the gateway started with a duplicate "
              "api_keys key to exit 1 at start-up; %s (log: %r)" % (
                  "it kept running" if rc is None else "it exited %d" % rc, tail))


CASES = [
    ("kinesis_shutdown_dead_letter", case_kinesis_shutdown_dead_letter),
    ("ctl_dead_lettered", case_ctl_dead_lettered),
    ("stream_reject_logged", case_stream_reject_logged),
    ("unparsable_request", case_unparsable_request),
    ("log_injection", case_log_injection),
    ("duplicate_yaml_keys", case_duplicate_yaml_keys),
]


def generate_stubs(src, out_dir):
    harness.generate_stubs(src, out_dir)
    res = subprocess.run(
        ["/usr/bin/protoc", "-I", os.path.join(src, "proto"), "-I", "/usr/include",
         "--plugin=protoc-gen-grpc_python=/usr/bin/grpc_python_plugin",
         "--python_out=" + out_dir, "--grpc_python_out=" + out_dir,
         "streamgate/v1/admin.proto"], capture_output=True, text=True)
    if res.returncode != 0:
        raise Fatal("protoc admin.proto: " + res.stderr)
    from streamgate.v1 import (admin_pb2, admin_pb2_grpc, gateway_pb2,
                               gateway_pb2_grpc)
    STUBS.update(admin_pb2=admin_pb2, admin_pb2_grpc=admin_pb2_grpc,
                 gateway_pb2=gateway_pb2, gateway_pb2_grpc=gateway_pb2_grpc)


def main():
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("binary")
    ap.add_argument("src")
    ap.add_argument("--ctl", default=None)
    ap.add_argument("cases", nargs="*")
    args = ap.parse_intermixed_args()
    ctl = args.ctl or os.path.join(os.path.dirname(os.path.abspath(args.binary)),
                                   "streamgate-ctl")
    selected = []
    for c in args.cases or [str(i + 1) for i in range(len(CASES))]:
        match = [(n, f) for i, (n, f) in enumerate(CASES)
                 if c == n or c == str(i + 1)]
        if not match:
            print("unknown case %r; cases: %s" % (
                c, ", ".join("%d %s" % (i + 1, n) for i, (n, _) in enumerate(CASES))))
            return 2
        selected += match
    root = tempfile.mkdtemp(prefix="streamgate-shape-bugs-")
    generate_stubs(args.src, os.path.join(root, "stubs"))
    failed = []
    for name, fn in selected:
        work = os.path.join(root, name)
        os.makedirs(work)
        ctx = Ctx(os.path.abspath(args.binary), ctl, args.src, work)
        print("=== %s" % name, flush=True)
        t0 = time.monotonic()
        try:
            fn(ctx)
        except Fatal as e:
            ctx.chk.check(False, "fatal: %s" % e)
        except Exception:
            ctx.chk.check(False, "exception:\n" + traceback.format_exc())
        finally:
            ctx.cleanup()
        verdict = "FAIL" if ctx.chk.failures else "PASS"
        print("%s %s (%.1f s, %d checks passed, %d failed)" % (
            verdict, name, time.monotonic() - t0, ctx.chk.passed,
            len(ctx.chk.failures)), flush=True)
        if ctx.chk.failures:
            failed.append(name)
    if failed:
        print("FAILED: %s (work dir kept: %s)" % (", ".join(failed), root))
        return 1
    shutil.rmtree(root, ignore_errors=True)
    print("all %d case(s) passed" % len(selected))
    return 0


if __name__ == "__main__":
    sys.exit(main())
