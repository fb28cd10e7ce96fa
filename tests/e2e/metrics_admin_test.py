#!/usr/bin/python3
"""End-to-end test of /metrics, the Admin service and streamgate-ctl.

Usage: /usr/bin/python3 metrics_admin_test.py STREAMGATE STREAMGATE_CTL SOURCE_DIR

Starts the real gateway on free 127.0.0.1 ports with three file-sink modules
and one Kinesis module whose endpoint refuses connections
(http://127.0.0.1:1). Publishes a known load over gRPC (accepted, unrouted
and invalid events), then:
  - scrapes /metrics, parses the whole text with the exposition-format parser
    below (every line a comment or `name{labels} value`, HELP/TYPE once and
    before their samples, families contiguous, label escaping, histogram
    buckets cumulative) and checks exact counter values, the byte counts
    against the sink files;
  - checks ListModules and GetModuleLog (the Kinesis error in the module's
    log, level filter, limit, unknown module, bad level);
  - runs streamgate-ctl modules / logs, and its errors: unknown module,
    nothing listening, and against a second gateway with an API key: no key
    (UNAUTHENTICATED), wrong key, and the right key from STREAMGATE_API_KEY.
Exit 0 = pass.
"""

import base64
import hashlib
import math
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import traceback
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "lib"))
import harness  # noqa: E402
from harness import Checker, Fatal, Gateway  # noqa: E402

CALL_TIMEOUT = 10.0
API_KEY = "metrics-admin-test-key-0123456789"

CONFIG = """\
grpc: {{listen: "127.0.0.1:{port}"}}
metrics: {{listen: "127.0.0.1:{metrics_port}"}}
shutdown_timeout_ms: 2000
devices:
  - {{id: 42, home_id: 7, class: thermostat}}
modules:
  - id: all
    description: "temperatures and alarms"
    subscribe_events: ["temp", "alarm"]
    sink: {{type: file, path: "{dir}/all.jsonl"}}
  - id: alarms
    description: alarms only, random keys
    subscribe_events: ["alarm"]
    use_uuid: true
    sink: {{type: file, path: "{dir}/alarms.jsonl"}}
  - id: telemetry
    bulk_data_label: telemetry
    sink: {{type: file, path: "{dir}/telemetry.jsonl"}}
  - id: kin-bad
    description: Kinesis with an endpoint that refuses connections
    subscribe_events: ["kin.test"]
    sink:
      type: kinesis
      stream_name: nowhere
      region: us-east-1
      endpoint: "http://127.0.0.1:1"
      connect_timeout_ms: 500
      request_timeout_ms: 1000
      initial_backoff_ms: 50
      max_backoff_ms: 200
{extra}"""

# ---------------------------------------------------------------------------
# Prometheus text format (0.0.4) parser, written from the format's spec.

METRIC_NAME = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*")
LABEL_NAME = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*")
TYPES = {"counter", "gauge", "histogram", "summary", "untyped"}


class ParseError(Exception):
    pass


def parse_labels(text, pos, lineno):
    """Parses `{a="x",b="y"}` starting at text[pos] == '{'; returns
    (labels dict, position after '}')."""
    labels = {}
    pos += 1
    while True:
        if pos < len(text) and text[pos] == "}":
            return labels, pos + 1
        m = LABEL_NAME.match(text, pos)
        if not m:
            raise ParseError("line %d: bad label name at %r" % (lineno, text[pos:]))
        name = m.group(0)
        pos = m.end()
        if text[pos:pos + 2] != '="':
            raise ParseError("line %d: expected =\" after %s" % (lineno, name))
        pos += 2
        value = []
        while True:
            if pos >= len(text):
                raise ParseError("line %d: unterminated label value" % lineno)
            c = text[pos]
            if c == "\\":
                nxt = text[pos + 1:pos + 2]
                if nxt not in ("\\", '"', "n"):
                    raise ParseError("line %d: bad escape \\%s" % (lineno, nxt))
                value.append("\n" if nxt == "n" else nxt)
                pos += 2
            elif c == '"':
                pos += 1
                break
            elif c == "\n":
                raise ParseError("line %d: raw newline in label value" % lineno)
            else:
                value.append(c)
                pos += 1
        if name in labels:
            raise ParseError("line %d: label %s twice" % (lineno, name))
        labels[name] = "".join(value)
        if pos < len(text) and text[pos] == ",":
            pos += 1
        elif pos < len(text) and text[pos] == "}":
            continue
        else:
            raise ParseError("line %d: expected , or } after label" % lineno)


def parse_value(s, lineno):
    if s in ("+Inf", "Inf"):
        return math.inf
    if s == "-Inf":
        return -math.inf
    if s == "NaN":
        return math.nan
    try:
        return float(s)
    except ValueError:
        raise ParseError("line %d: bad value %r" % (lineno, s))


def family_of(sample_name, families):
    if sample_name in families:
        return sample_name
    for suffix in ("_bucket", "_sum", "_count"):
        if sample_name.endswith(suffix):
            base = sample_name[:-len(suffix)]
            if families.get(base, {}).get("type") in ("histogram", "summary"):
                return base
    return None


def parse_exposition(text):
    """Returns {family: {"type", "help", "samples": [(name, labels, value)]}}.
    Raises ParseError on anything the format does not allow."""
    if text and not text.endswith("\n"):
        raise ParseError("the text does not end with a newline")
    families = {}
    closed = set()      # families whose samples have ended
    current = None
    seen_series = set()
    for lineno, line in enumerate(text.split("\n")[:-1], 1):
        if line == "":
            continue
        if line.startswith("#"):
            parts = line.split(" ", 3)
            if len(parts) >= 3 and parts[1] in ("HELP", "TYPE"):
                name = parts[2]
                if not METRIC_NAME.fullmatch(name):
                    raise ParseError("line %d: bad metric name %r" % (lineno, name))
                fam = families.setdefault(name, {"type": None, "help": None,
                                                 "samples": []})
                if name in closed or fam["samples"]:
                    raise ParseError("line %d: %s %s after its samples" %
                                     (lineno, parts[1], name))
                rest = parts[3] if len(parts) > 3 else ""
                if parts[1] == "HELP":
                    if fam["help"] is not None:
                        raise ParseError("line %d: second HELP for %s" % (lineno, name))
                    if re.search(r"\\[^\\n]", rest.replace("\\\\", "")):
                        raise ParseError("line %d: bad escape in HELP" % lineno)
                    fam["help"] = rest
                else:
                    if fam["type"] is not None:
                        raise ParseError("line %d: second TYPE for %s" % (lineno, name))
                    if rest not in TYPES:
                        raise ParseError("line %d: unknown type %r" % (lineno, rest))
                    fam["type"] = rest
                if current is not None and current != name:
                    closed.add(current)
                current = name
            continue  # other comments are allowed
        m = METRIC_NAME.match(line)
        if not m:
            raise ParseError("line %d: not a sample: %r" % (lineno, line))
        name = m.group(0)
        pos = m.end()
        labels = {}
        if pos < len(line) and line[pos] == "{":
            labels, pos = parse_labels(line, pos, lineno)
        if pos >= len(line) or line[pos] != " ":
            raise ParseError("line %d: expected a space before the value" % lineno)
        fields = line[pos + 1:].split(" ")
        if len(fields) not in (1, 2) or fields[0] == "":
            raise ParseError("line %d: expected VALUE [TIMESTAMP]" % lineno)
        value = parse_value(fields[0], lineno)
        fam_name = family_of(name, families)
        if fam_name is None:
            raise ParseError("line %d: sample %s has no TYPE before it" % (lineno, name))
        if fam_name in closed:
            raise ParseError("line %d: family %s is not contiguous" % (lineno, fam_name))
        if current is not None and current != fam_name:
            closed.add(current)
        current = fam_name
        key = (name, tuple(sorted(labels.items())))
        if key in seen_series:
            raise ParseError("line %d: duplicate series %s%s" % (lineno, name, labels))
        seen_series.add(key)
        families[fam_name]["samples"].append((name, labels, value))
    for name, fam in families.items():
        if fam["type"] is None:
            raise ParseError("family %s has no TYPE" % name)
        if fam["type"] == "counter":
            if not name.endswith("_total"):
                raise ParseError("counter %s does not end in _total" % name)
            for _, labels, v in fam["samples"]:
                if not v >= 0:
                    raise ParseError("counter %s%s is %r" % (name, labels, v))
        if fam["type"] == "histogram":
            check_histogram(name, fam["samples"])
    return families


def check_histogram(name, samples):
    groups = {}
    for sname, labels, value in samples:
        base = tuple(sorted((k, v) for k, v in labels.items() if k != "le"))
        g = groups.setdefault(base, {"buckets": [], "sum": None, "count": None})
        if sname == name + "_bucket":
            if "le" not in labels:
                raise ParseError("%s bucket without le" % name)
            g["buckets"].append((parse_value(labels["le"], 0), value))
        elif sname == name + "_sum":
            g["sum"] = value
        elif sname == name + "_count":
            g["count"] = value
        else:
            raise ParseError("%s: unexpected sample %s" % (name, sname))
    for base, g in groups.items():
        b = g["buckets"]
        if not b or b[-1][0] != math.inf:
            raise ParseError("%s%s: no +Inf bucket last" % (name, base))
        if [x for x, _ in b] != sorted(x for x, _ in b):
            raise ParseError("%s%s: buckets not in order" % (name, base))
        if any(b[i][1] > b[i + 1][1] for i in range(len(b) - 1)):
            raise ParseError("%s%s: buckets not cumulative" % (name, base))
        if g["count"] != b[-1][1] or g["sum"] is None:
            raise ParseError("%s%s: _count != +Inf bucket or no _sum" % (name, base))


def parser_self_test(chk):
    """The parser must accept good text (with escapes) and reject bad text,
    or the checks built on it prove nothing."""
    good = ('# HELP a_total A help with \\\\ and \\n.\n# TYPE a_total counter\n'
            'a_total{x="q\\"uo\\\\te\\nnl",y=""} 3\na_total 1.5e3\n'
            '# TYPE h histogram\nh_bucket{le="0.5"} 1\nh_bucket{le="+Inf"} 2\n'
            'h_sum 0.7\nh_count 2\n')
    fams = parse_exposition(good)
    chk.eq(fams["a_total"]["samples"][0][1], {"x": 'q"uo\\te\nnl', "y": ""},
           "parser: escaped label values")
    bad = {
        "no TYPE": "x_total 1\n",
        "bad escape": '# TYPE x_total counter\nx_total{a="\\t"} 1\n',
        "split family": ("# TYPE a_total counter\na_total{k=\"1\"} 1\n"
                         "# TYPE b gauge\nb 1\na_total{k=\"2\"} 1\n"),
        "not cumulative": ('# TYPE h histogram\nh_bucket{le="1"} 3\n'
                           'h_bucket{le="+Inf"} 2\nh_sum 1\nh_count 2\n'),
        "duplicate": "# TYPE g gauge\ng 1\ng 2\n",
        "garbage": "# TYPE g gauge\ng{a=b} 1\n",
    }
    for what, text in bad.items():
        try:
            parse_exposition(text)
            chk.check(False, "parser accepted bad text (%s)" % what)
        except ParseError:
            chk.check(True, "")


def value_of(fams, family, sample=None, **labels):
    fam = fams.get(family)
    if fam is None:
        return None
    for name, ls, v in fam["samples"]:
        if name == (sample or family) and ls == labels:
            return v
    return None


# ---------------------------------------------------------------------------

def scrape(port):
    with urllib.request.urlopen("http://127.0.0.1:%d/metrics" % port,
                                timeout=CALL_TIMEOUT) as resp:
        return resp.status, resp.headers.get("Content-Type", ""), \
            resp.read().decode("utf-8")


def sink_bytes(path, chk, label):
    total = 0
    lines = harness.read_sink_lines(path, chk, label)
    for _, key, data in lines:
        total += len(data) + len(key.encode())
    return len(lines), total


def run_ctl(ctl, args, env_key=None):
    env = dict(os.environ)
    env.pop("STREAMGATE_API_KEY", None)
    if env_key is not None:
        env["STREAMGATE_API_KEY"] = env_key
    res = subprocess.run([ctl] + args, capture_output=True, text=True,
                         timeout=60, env=env)
    return res.returncode, res.stdout, res.stderr


def main():
    if len(sys.argv) != 4:
        print(__doc__)
        return 2
    binary, ctl, src = sys.argv[1], sys.argv[2], sys.argv[3]
    work = tempfile.mkdtemp(prefix="streamgate-metrics-")
    chk = Checker()
    gateways = []
    try:
        stubs = os.path.join(work, "stubs")
        harness.generate_stubs(src, stubs)
        res = subprocess.run(
            ["/usr/bin/protoc", "-I", os.path.join(src, "proto"),
             "-I", "/usr/include",
             "--plugin=protoc-gen-grpc_python=/usr/bin/grpc_python_plugin",
             "--python_out=" + stubs, "--grpc_python_out=" + stubs,
             "streamgate/v1/admin.proto"], capture_output=True, text=True)
        if res.returncode != 0:
            raise Fatal("protoc admin.proto: " + res.stderr)
        import grpc
        from streamgate.v1 import (admin_pb2, admin_pb2_grpc, gateway_pb2,
                                   gateway_pb2_grpc)
        parser_self_test(chk)

        port, mport = harness.free_port(), harness.free_port()
        gw = Gateway(binary, work, CONFIG.format(
            port=port, metrics_port=mport, dir=work, extra=""))
        os.environ.setdefault("AWS_ACCESS_KEY_ID", "AKIDSTREAMGATETEST")
        os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "not-a-real-secret")
        os.environ["AWS_EC2_METADATA_DISABLED"] = "true"
        gateways.append(gw)
        gw.start()
        channel = grpc.insecure_channel("127.0.0.1:%d" % port)
        gw.wait_serving(channel)
        stub = gateway_pb2_grpc.GatewayStub(channel)
        admin = admin_pb2_grpc.AdminStub(channel)

        # The known load.
        def publish(event_type, n):
            ok = 0
            for i in range(n):
                ev = gateway_pb2.Event(event_type=event_type, home_id=7)
                ev.event_data.update({"i": i, "pad": "x" * i})
                ev.origin_device_id = 42
                try:
                    stub.PublishEvent(ev, timeout=CALL_TIMEOUT)
                    ok += 1
                except grpc.RpcError as e:
                    chk.check(False, "PublishEvent %s #%d: %s %s" % (
                        event_type, i, e.code(), e.details()))
            return ok
        publish("temp", 10)
        publish("alarm", 5)
        publish("nobody", 2)      # accepted, no module: unrouted
        publish("kin.test", 3)    # to the failing Kinesis module
        invalid = 0
        for bad in (gateway_pb2.Event(event_type=""),
                    gateway_pb2.Event(event_type="temp", home_id=-1),
                    gateway_pb2.Event(event_type="")):
            try:
                stub.PublishEvent(bad, timeout=CALL_TIMEOUT)
                chk.check(False, "an invalid event was accepted")
            except grpc.RpcError as e:
                invalid += 1
                chk.eq(e.code(), grpc.StatusCode.INVALID_ARGUMENT,
                       "invalid event status")
        bulk = gateway_pb2.BulkData(label="telemetry", device_id=42,
                                    records=[b"\x01\x02", b"bulk-two"])
        try:
            stub.PublishBulkData(bulk, timeout=CALL_TIMEOUT)
        except grpc.RpcError as e:
            chk.check(False, "PublishBulkData: %s %s" % (e.code(), e.details()))

        # Wait until the file sinks have settled everything.
        deadline = time.monotonic() + 30
        fams = {}
        while time.monotonic() < deadline:
            status, ctype, text = scrape(mport)
            fams = parse_exposition(text)
            d = lambda m: value_of(fams, "streamgate_module_records_delivered_total",  # noqa: E731
                                   module=m)
            if d("all") == 15 and d("alarms") == 5 and d("telemetry") == 2:
                break
            time.sleep(0.1)
        status, ctype, text = scrape(mport)
        chk.eq(status, 200, "/metrics status")
        chk.check(ctype.startswith("text/plain") and "version=0.0.4" in ctype,
                  "/metrics content type %r" % ctype)
        try:
            fams = parse_exposition(text)
            chk.check(True, "")
        except ParseError as e:
            chk.check(False, "/metrics does not parse: %s\n%s" % (e, text))
            raise Fatal("unparsable /metrics")

        # Exact values for the load above.
        n_all, b_all = sink_bytes(os.path.join(work, "all.jsonl"), chk, "all")
        n_al, b_al = sink_bytes(os.path.join(work, "alarms.jsonl"), chk, "alarms")
        n_tel, b_tel = sink_bytes(os.path.join(work, "telemetry.jsonl"), chk,
                                  "telemetry")
        chk.eq((n_all, n_al, n_tel), (15, 5, 2), "sink line counts")
        expect = {
            ("streamgate_module_records_accepted_total", "all"): 15,
            ("streamgate_module_records_accepted_total", "alarms"): 5,
            ("streamgate_module_records_accepted_total", "telemetry"): 2,
            ("streamgate_module_records_accepted_total", "kin-bad"): 3,
            ("streamgate_module_bytes_accepted_total", "all"): b_all,
            ("streamgate_module_bytes_accepted_total", "alarms"): b_al,
            ("streamgate_module_bytes_accepted_total", "telemetry"): b_tel,
            ("streamgate_module_records_delivered_total", "all"): 15,
            ("streamgate_module_records_delivered_total", "alarms"): 5,
            ("streamgate_module_records_delivered_total", "telemetry"): 2,
            ("streamgate_module_records_delivered_total", "kin-bad"): 0,
            ("streamgate_module_sink_records_written_total", "all"): 15,
            ("streamgate_module_sink_bytes_written_total", "all"): b_all,
            ("streamgate_module_queue_depth_records", "all"): 0,
            ("streamgate_module_records_dead_lettered_total", "all"): 0,
        }
        for (family, module), want in expect.items():
            chk.eq(value_of(fams, family, module=module), want,
                   "%s{module=%s}" % (family, module))
        chk.eq(value_of(fams, "streamgate_module_records_rejected_total",
                        module="all", reason="queue_full"), 0, "queue_full")
        chk.eq(value_of(fams, "streamgate_ingest_events_accepted_total"), 20,
               "ingest events accepted (10 temp + 5 alarm + 2 unrouted + 3 kin)")
        chk.eq(value_of(fams, "streamgate_ingest_bulk_records_accepted_total"),
               2, "ingest bulk records accepted")
        chk.eq(value_of(fams, "streamgate_ingest_unrouted_total"), 2,
               "ingest unrouted")
        chk.eq(value_of(fams, "streamgate_ingest_rejected_total",
                        reason="invalid"), invalid, "ingest rejected invalid")
        chk.eq(value_of(fams, "streamgate_ingest_rejected_total",
                        reason="exhausted"), 0, "ingest rejected exhausted")
        # Every module has the per-module series, with the module label.
        for family in ("streamgate_module_records_accepted_total",
                       "streamgate_module_records_delivered_total",
                       "streamgate_module_records_retried_total",
                       "streamgate_module_records_dead_lettered_total",
                       "streamgate_module_bytes_accepted_total",
                       "streamgate_module_queue_depth_records"):
            mods = sorted(ls.get("module") for _, ls, _ in fams[family]["samples"])
            chk.eq(mods, ["alarms", "all", "kin-bad", "telemetry"],
                   "%s modules" % family)
        chk.eq(fams["streamgate_module_queue_depth_records"]["type"], "gauge",
               "queue depth is a gauge")
        for family, typ in (("process_cpu_seconds_total", "counter"),
                            ("process_resident_memory_bytes", "gauge"),
                            ("process_start_time_seconds", "gauge"),
                            ("process_open_fds", "gauge")):
            chk.eq(fams.get(family, {}).get("type"), typ, family + " type")
        rss = value_of(fams, "process_resident_memory_bytes") or 0
        chk.check(1 << 20 < rss < 1 << 34, "resident memory %r plausible" % rss)
        start = value_of(fams, "process_start_time_seconds") or 0
        chk.check(abs(start - time.time()) < 600,
                  "process start time %r is recent" % start)

        # The failing Kinesis module: its error in the log ring.
        entries = []
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            resp = admin.GetModuleLog(admin_pb2.GetModuleLogRequest(
                module_id="kin-bad", min_level="error"), timeout=CALL_TIMEOUT)
            entries = list(resp.entries)
            if entries:
                break
            time.sleep(0.1)
        chk.check(len(entries) > 0, "kin-bad has ERROR entries in its log")
        for e in entries:
            chk.eq(e.level, "error", "kin-bad entry level")
            chk.check("module 'kin-bad'" in e.message and "PutRecords failed" in
                      e.message, "kin-bad entry names the failure: %r" % e.message)
            chk.check(abs(e.time.seconds - time.time()) < 600,
                      "entry time %r is recent" % e.time.seconds)
        # The same error is in the process log (the ring is fed from it).
        with open(gw.stderr_path, encoding="utf-8", errors="replace") as f:
            stderr = f.read()
        if entries:
            chk.check(entries[0].message in stderr,
                      "ring entry is a line of the process log")
        resp = admin.GetModuleLog(admin_pb2.GetModuleLogRequest(
            module_id="kin-bad", limit=1), timeout=CALL_TIMEOUT)
        chk.eq(len(resp.entries), 1, "limit 1")
        resp = admin.GetModuleLog(admin_pb2.GetModuleLogRequest(
            module_id="all", min_level="warn"), timeout=CALL_TIMEOUT)
        chk.eq(len(resp.entries), 0, "healthy module has no warnings")
        for req, code, what in (
                (admin_pb2.GetModuleLogRequest(module_id="nope"),
                 grpc.StatusCode.NOT_FOUND, "unknown module"),
                (admin_pb2.GetModuleLogRequest(module_id="all", min_level="loud"),
                 grpc.StatusCode.INVALID_ARGUMENT, "bad level")):
            try:
                admin.GetModuleLog(req, timeout=CALL_TIMEOUT)
                chk.check(False, "GetModuleLog %s succeeded" % what)
            except grpc.RpcError as e:
                chk.eq(e.code(), code, "GetModuleLog " + what)

        # Kinesis metrics: transport errors counted, latency observed.
        _, _, text = scrape(mport)
        fams = parse_exposition(text)
        chk.check((value_of(fams, "streamgate_kinesis_requests_total",
                            module="kin-bad", outcome="transport_error") or 0) >= 1,
                  "kin-bad transport errors counted")
        chk.check((value_of(fams, "streamgate_kinesis_request_duration_seconds",
                            "streamgate_kinesis_request_duration_seconds_count",
                            module="kin-bad") or 0) >= 1,
                  "kin-bad request latency observed")

        # ListModules.
        lm = admin.ListModules(admin_pb2.ListModulesRequest(), timeout=CALL_TIMEOUT)
        by_id = {m.id: m for m in lm.modules}
        chk.eq([m.id for m in lm.modules], ["all", "alarms", "telemetry", "kin-bad"],
               "ListModules order")
        a = by_id.get("all")
        if a:
            chk.eq((a.description, a.sink_type, list(a.subscribe_events),
                    a.bulk_data_label, a.use_uuid, a.state),
                   ("temperatures and alarms", "file", ["temp", "alarm"], "",
                    False, "running"), "ListModules all")
            chk.eq((a.counters.records_accepted, a.counters.records_settled,
                    a.counters.bytes_accepted, a.counters.queue_depth),
                   (15, 15, b_all, 0), "ListModules all counters")
        if by_id.get("alarms"):
            chk.eq(by_id["alarms"].use_uuid, True, "alarms use_uuid")
        if by_id.get("telemetry"):
            chk.eq(by_id["telemetry"].bulk_data_label, "telemetry", "bulk label")
        k = by_id.get("kin-bad")
        if k:
            chk.eq((k.sink_type, k.state), ("kinesis", "failing"), "kin-bad state")
            chk.check("PutRecords failed" in k.last_error,
                      "kin-bad last_error %r" % k.last_error)
            chk.check(k.counters.errors_logged >= 1, "kin-bad errors_logged")

        # streamgate-ctl.
        target = ["--target", "127.0.0.1:%d" % port]
        rc, out, err = run_ctl(ctl, target + ["modules"])
        chk.eq(rc, 0, "ctl modules exit (stderr %r)" % err)
        table = out.split("\n\n")[0]  # the error lines follow a blank line
        rows = {ln.split()[0]: ln.split() for ln in table.splitlines() if ln.strip()}
        chk.check("MODULE" in rows, "ctl modules header: %r" % out)
        if "all" in rows:
            chk.eq(rows["all"][1:6], ["file", "running", "15", "15", "0"],
                   "ctl modules row for all")
        if "kin-bad" in rows:
            chk.eq(rows["kin-bad"][1:4], ["kinesis", "failing", "3"],
                   "ctl modules row for kin-bad")
        chk.check("kin-bad last error at" in out and "PutRecords failed" in out,
                  "ctl modules shows kin-bad's last error")
        rc, out, err = run_ctl(ctl, target + ["logs", "kin-bad", "--level", "error"])
        chk.eq(rc, 0, "ctl logs exit (stderr %r)" % err)
        lines = out.splitlines()
        chk.check(len(lines) >= 1 and all(
            re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z error module "
                     r"'kin-bad': stream nowhere: PutRecords failed", ln)
            for ln in lines), "ctl logs kin-bad lines: %r" % out)
        rc, out, err = run_ctl(ctl, target + ["logs", "kin-bad", "--limit", "1"])
        chk.eq((rc, len(out.splitlines())), (0, 1), "ctl logs --limit 1")
        rc, out, err = run_ctl(ctl, target + ["logs", "nope"])
        chk.check(rc == 1 and "unknown module 'nope'" in err,
                  "ctl logs unknown module: rc %d %r" % (rc, err))
        dead = harness.free_port()
        rc, out, err = run_ctl(ctl, ["--target", "127.0.0.1:%d" % dead,
                                     "--timeout", "3", "modules"])
        chk.check(rc == 1 and "cannot reach the gateway at 127.0.0.1:%d" % dead
                  in err, "ctl against nothing: rc %d %r" % (rc, err))
        rc, out, err = run_ctl(ctl, ["frobnicate"])
        chk.check(rc == 2 and "unknown command" in err, "ctl bad command")

        # A gateway with an API key: the Admin service obeys it.
        port2, mport2 = harness.free_port(), harness.free_port()
        digest = hashlib.sha256(API_KEY.encode()).hexdigest()
        gw2 = Gateway(binary, work, CONFIG.format(
            port=port2, metrics_port=mport2, dir=os.path.join(work, "gw2"),
            extra="api_keys:\n  - {id: k1, name: ops, key_sha256: %s}\n" % digest),
            name="gw2")
        gateways.append(gw2)
        gw2.start()
        gw2.wait_serving(grpc.insecure_channel("127.0.0.1:%d" % port2))
        target2 = ["--target", "127.0.0.1:%d" % port2]
        rc, out, err = run_ctl(ctl, target2 + ["modules"])
        chk.check(rc == 1 and "UNAUTHENTICATED" in err and
                  "STREAMGATE_API_KEY" in err, "ctl without key: %d %r" % (rc, err))
        rc, out, err = run_ctl(ctl, target2 + ["--key", "wrong", "modules"])
        chk.check(rc == 1 and "UNAUTHENTICATED" in err and "not one it knows" in err,
                  "ctl with a wrong key: %d %r" % (rc, err))
        rc, out, err = run_ctl(ctl, target2 + ["logs", "all"], env_key=API_KEY)
        chk.eq(rc, 0, "ctl logs with the key from the environment (%r)" % err)
        rc, out, err = run_ctl(ctl, target2 + ["modules"], env_key=API_KEY)
        chk.check(rc == 0 and "kin-bad" in out, "ctl modules with the key")

        for g in gateways:
            g.signal(signal.SIGTERM)
        for g in gateways:
            g.wait_exit()
        for g in gateways:
            with open(g.stderr_path, encoding="utf-8", errors="replace") as f:
                chk.check(API_KEY not in f.read(), "key not in %s log" % g.stderr_path)
    except Fatal as e:
        chk.check(False, "fatal: %s" % e)
    except Exception:
        chk.check(False, "exception:\n" + traceback.format_exc())
    finally:
        for g in gateways:
            g.kill()
            g.close_files()
    print("%d checks passed, %d failed" % (chk.passed, len(chk.failures)))
    if chk.failures:
        print("work dir kept: " + work)
        return 1
    shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
