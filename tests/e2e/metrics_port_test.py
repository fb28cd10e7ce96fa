#!/usr/bin/python3
"""The metrics port beyond /metrics, and what the gateway logs about itself.

Usage: /usr/bin/python3 metrics_port_test.py STREAMGATE STREAMGATE_CTL SOURCE_DIR

Starts a real gateway (free 127.0.0.1 ports, one API key, two file-sink
modules, --totals-interval-s 1) and checks:

- /healthz and /readyz answer 200, /metrics carries
  streamgate_build_info{version=...} 1 and needs no key;
- / and /status.json follow the Admin service's rule: 401 with a Basic
  challenge without a key or with a wrong one, 200 with "Bearer KEY" or
  Basic with the key as password; after 5 events published with the key,
  status.json shows module "temps" with accepted=5 and delivered=5 and the
  gRPC input serving;
- `streamgate-ctl --metrics ... status` shows the same in a terminal (401
  explained without the key; a row per module and input with the key),
  and `streamgate-ctl logs temps --level error` says "(no entries)";
- 1,100 raw TCP connections held open to the gRPC port (so the gateway
  holds more than 1,024 descriptors; this process and the gateway get
  RLIMIT_NOFILE 4096) plus 1,100 half-open connections to the metrics port
  from 127.0.0.1: a scrape from 127.0.0.2 still answers 200, and reports
  process_open_fds > 1024; once they are closed, 127.0.0.1 scrapes again;
- the log has the start-up summary (config path, gRPC address, each module
  with its subscriptions and sink target, the device count), a periodic
  "totals" line per module and, after SIGTERM, a "final totals" line with
  in=5 delivered=5;
- README.md's metrics table (under "### Prometheus metrics") is one table
  (contiguous rows, the same number of cells in each) that names every
  family of a scrape of this gateway and every "streamgate_..." metric name
  in the sources of gateway/, adapters/ and sinks/ (abbreviated `_suffix`
  names expand against a full name in the same cell; `*` matches anything);
- /readyz from the same process is 503 once SIGTERM's drain began (read
  from the log order: the drain waits grpc.drain_grace_ms).
Exit 0 = pass.
"""

import base64
import http.client
import json
import os
import re
import resource
import signal
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "lib"))
import harness  # noqa: E402
from harness import Checker, Fatal, Gateway  # noqa: E402

API_KEY = "metrics-port-test-key-42"
CALL_TIMEOUT = 10.0
FLOOD = 1100

CONFIG = """\
# A long handshake timeout: the flood's idle connections must stay open
# until the scrape (a loaded machine may take seconds to open them all).
grpc: {{listen: "127.0.0.1:{port}", drain_grace_ms: 5000, handshake_timeout_ms: 120000}}
metrics: {{listen: "127.0.0.1:{mport}"}}
shutdown_timeout_ms: 20000
api_keys:
  - {{id: k1, name: ops, key_sha256: {digest}}}
devices:
  - {{id: 42, home_id: 7, class: thermostat}}
  - {{id: 43, home_id: 7}}
modules:
  - id: temps
    subscribe_events: ["temp"]
    sink: {{type: file, path: "{dir}/temps.jsonl"}}
  - id: bulk
    bulk_data_label: telemetry
    sink: {{type: file, path: "{dir}/bulk.jsonl"}}
"""


class OpsGateway(Gateway):
    """A Gateway started with extra flags."""

    def __init__(self, *args, flags=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.flags = list(flags)

    def start(self):
        self._out = open(self.stdout_path, "wb")
        self._err = open(self.stderr_path, "wb")
        self.proc = subprocess.Popen(
            [self.binary, "--config", self.config_path] + self.flags,
            stdout=self._out, stderr=self._err, stdin=subprocess.DEVNULL)


def get(port, path, headers=None, source="127.0.0.1"):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=CALL_TIMEOUT,
                                      source_address=(source, 0))
    try:
        conn.request("GET", path, headers=headers or {})
        resp = conn.getresponse()
        return resp.status, dict(resp.getheaders()), resp.read().decode()
    finally:
        conn.close()


def basic(password, user="ops"):
    token = base64.b64encode(("%s:%s" % (user, password)).encode()).decode()
    return {"Authorization": "Basic " + token}


def open_flood(port, n):
    socks = []
    for _ in range(n):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.settimeout(CALL_TIMEOUT)
        try:
            s.connect(("127.0.0.1", port))
        except OSError:
            s.close()
            continue
        socks.append(s)
    return socks


def readme_metric_rows(readme):
    """The rows of the first table after "### Prometheus metrics", as cell
    lists, and problems that would split or skew it."""
    lines = open(readme, encoding="utf-8").read().split("\n")
    start = lines.index("### Prometheus metrics")
    i = start
    while not lines[i].startswith("| metric "):
        i += 1
    rows, problems = [], []
    while i < len(lines) and lines[i].startswith("|"):
        text = re.sub(r"`[^`]*`", lambda m: m.group(0).replace("\\|", ""),
                      lines[i])
        cells = [c.strip() for c in re.split(r"(?<!\\)\|", text)[1:-1]]
        rows.append(cells)
        i += 1
    if i < len(lines) and lines[i].strip() == "" and i + 1 < len(lines) \
            and lines[i + 1].startswith("| `"):
        problems.append("a blank line splits the table at line %d" % (i + 1))
    widths = {len(r) for r in rows}
    if len(widths) != 1:
        problems.append("rows have different cell counts: %r" % sorted(widths))
    return rows, problems


def documented(family, rows):
    for cells in rows[2:]:
        names = [re.sub(r"\{.*", "", n) for n in re.findall(r"`([^`]+)`", cells[0])]
        full = [n for n in names if not n.startswith("_")]
        pats = [re.escape(n).replace(r"\*", ".*") for n in full]
        for suffix in (n for n in names if n.startswith("_")):
            for f in full:
                for k in range(len(f)):
                    if f[k] == "_":
                        pats.append(re.escape(f[:k] + suffix).replace(r"\*", ".*"))
        if any(re.fullmatch(p, family) for p in pats):
            return True
    return False


def run_ctl(ctl, args, key=None):
    env = {"PATH": "/usr/bin:/bin", "LC_ALL": "C"}
    if key:
        env["STREAMGATE_API_KEY"] = key
    res = subprocess.run([ctl] + args, capture_output=True, text=True,
                         timeout=CALL_TIMEOUT * 3, env=env)
    return res.returncode, res.stdout, res.stderr


def check_ctl(chk, ctl, port, mport):
    metrics = ["--metrics", "127.0.0.1:%d" % mport]
    rc, out, err = run_ctl(ctl, metrics + ["status", "--interval", "0"])
    chk.check(rc == 1 and "401" in err and "STREAMGATE_API_KEY" in err,
              "ctl status without a key: %d %r" % (rc, err))
    rc, out, err = run_ctl(ctl, metrics + ["status", "--interval", "0.2"],
                           key=API_KEY)
    rows = {ln.split()[0]: ln.split() for ln in out.splitlines() if ln.split()}
    chk.check(rc == 0 and out.startswith("streamgate ") and ", ready, " in out,
              "ctl status header: %d %r %r" % (rc, out[:200], err))
    # MODULE STATE IN/S DELIVERED/S QUEUED ACCEPTED DELIVERED DEAD-LETTERED
    # REJECTED SINK...
    chk.check(rows.get("MODULE", [])[:3] == ["MODULE", "STATE", "IN/S"],
              "ctl status module header: %r" % rows.get("MODULE"))
    chk.eq(rows.get("temps", [])[:10],
           ["temps", "running", "0.0", "0.0", "0", "5", "5", "0", "0", "file"],
           "ctl status temps row")
    chk.eq(rows.get("grpc", [])[:3], ["grpc", "127.0.0.1:%d" % port, "serving"],
           "ctl status grpc input row")
    rc, out, err = run_ctl(ctl, ["--target", "127.0.0.1:%d" % port, "logs",
                                 "temps", "--level", "error"], key=API_KEY)
    chk.check(rc == 0 and out == "(no entries)\n",
              "ctl logs of a module with no errors: %d %r %r" % (rc, out, err))


def main():
    if len(sys.argv) != 4:
        print(__doc__)
        return 2
    binary, ctl, src = sys.argv[1], sys.argv[2], sys.argv[3]
    # The gateway inherits this limit: room for the flood plus its own fds.
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = 4096 if hard == resource.RLIM_INFINITY else min(4096, hard)
    resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))
    work = tempfile.mkdtemp(prefix="streamgate-metrics-port-")
    chk = Checker()
    harness.generate_stubs(src, os.path.join(work, "stubs"))
    port, mport = harness.free_port(), harness.free_port()
    import hashlib
    digest = hashlib.sha256(API_KEY.encode()).hexdigest()
    gw = OpsGateway(binary, work, CONFIG.format(
        port=port, mport=mport, digest=digest, dir=os.path.join(work, "out")),
        flags=["--totals-interval-s", "1"])
    flood = []

    def body():
        chk.check(want > FLOOD * 2 + 100,
                  "RLIMIT_NOFILE %d leaves room for the flood" % want)
        gw.start()
        channel = gw.serving_channel(port)
        import grpc
        from streamgate.v1 import gateway_pb2, gateway_pb2_grpc
        stub = gateway_pb2_grpc.GatewayStub(channel)
        md = [("authorization", "Bearer " + API_KEY)]
        for i in range(5):
            ev = gateway_pb2.Event(event_type="temp", home_id=7)
            ev.event_data.update({"celsius": 20 + i})
            stub.PublishEvent(ev, metadata=md, timeout=CALL_TIMEOUT)

        code, _, text = get(mport, "/healthz")
        chk.check(code == 200 and text == "ok\n", "/healthz: %s %r" % (code, text))
        code, _, text = get(mport, "/readyz")
        chk.check(code == 200 and text == "ready\n", "/readyz: %s %r" % (code, text))
        code, _, text = get(mport, "/metrics")
        chk.check(code == 200 and re.search(
            r'^streamgate_build_info\{version="\d+\.\d+\.\d+"\} 1$', text, re.M),
            "/metrics (no key) has streamgate_build_info: %s" % code)

        families = re.findall(r"^# TYPE (\S+) ", text, re.M)
        rows, problems = readme_metric_rows(os.path.join(src, "README.md"))
        chk.check(not problems and len(rows) > 10,
                  "README metrics table is one table: %r" % problems)
        in_sources = set()
        for top in ("gateway", "adapters", "sinks"):
            for base, _, files in os.walk(os.path.join(src, top)):
                for name in files:
                    if name.endswith(".cc"):
                        with open(os.path.join(base, name), encoding="utf-8") as f:
                            in_sources.update(re.findall(
                                r'"(streamgate_[a-z_]+)"', f.read()))
        chk.check(len(in_sources) > 30, "metric names found in the sources: %d"
                  % len(in_sources))
        families = sorted(set(families) | in_sources)
        missing = [f for f in families if not documented(f, rows)]
        chk.check(families and not missing,
                  "README metrics table names every family: missing %r" % missing)

        for path in ("/", "/status.json"):
            code, headers, _ = get(mport, path)
            chk.check(code == 401 and headers.get("WWW-Authenticate", "")
                      .startswith("Basic "), "%s without a key: %s %s" % (
                          path, code, headers))
            code, _, _ = get(mport, path, {"Authorization": "Bearer wrong"})
            chk.eq(code, 401, "%s with a wrong bearer key" % path)
            code, _, _ = get(mport, path, basic("wrong"))
            chk.eq(code, 401, "%s with a wrong Basic password" % path)
        code, headers, page = get(mport, "/", basic(API_KEY))
        chk.check(code == 200 and "text/html" in headers.get("Content-Type", "")
                  and "status.json" in page and "<script" in page and
                  "http://" not in page and "https://" not in page,
                  "/ with Basic: %s, self-contained html" % code)

        # Counts settle once the file sink reports the batch delivered.
        deadline_polls = 200
        status = None
        for _ in range(deadline_polls):
            code, _, text = get(mport, "/status.json",
                                {"Authorization": "Bearer " + API_KEY})
            chk.eq(code, 200, "/status.json with Bearer")
            status = json.loads(text)
            temps = [m for m in status["modules"] if m["id"] == "temps"]
            if temps and temps[0]["delivered"] == 5:
                break
            time.sleep(0.05)
        temps = [m for m in status["modules"] if m["id"] == "temps"][0]
        chk.check(temps["accepted"] == 5 and temps["delivered"] == 5 and
                  temps["dead_lettered"] == 0 and temps["queue_depth"] == 0 and
                  temps["state"] == "running" and
                  temps["target"] == "file " + os.path.join(work, "out",
                                                            "temps.jsonl"),
                  "status.json module temps: %r" % temps)
        chk.eq([m["id"] for m in status["modules"]], ["temps", "bulk"],
               "status.json module order")
        chk.check(status["ready"] is True and status["inputs"] and
                  status["inputs"][0]["name"] == "grpc" and
                  status["inputs"][0]["state"] == "serving" and
                  status["inputs"][0]["address"] == "127.0.0.1:%d" % port,
                  "status.json inputs: %r" % status["inputs"])

        check_ctl(chk, ctl, port, mport)

        # More than 1,024 descriptors in the gateway, and a flood of
        # half-open connections on the metrics port.
        flood.extend(open_flood(port, FLOOD))
        chk.check(len(flood) == FLOOD, "%d/%d connections to the gRPC port"
                  % (len(flood), FLOOD))
        metrics_flood = open_flood(mport, FLOOD)
        flood.extend(metrics_flood)
        code, _, text = get(mport, "/metrics", source="127.0.0.2")
        fds = re.search(r"^process_open_fds (\d+)", text, re.M)
        chk.check(code == 200 and fds and int(fds.group(1)) > 1024,
                  "scrape from 127.0.0.2 during the flood: %s, open fds %s" %
                  (code, fds.group(1) if fds else None))
        code, _, _ = get(mport, "/healthz", source="127.0.0.2")
        chk.eq(code, 200, "/healthz from 127.0.0.2 during the flood")
        for s in flood:
            s.close()
        flood.clear()
        # The gateway sees the closes as it polls; a scrape from the
        # flooded address works again once they are gone.
        ok = False
        for _ in range(200):
            try:
                code, _, _ = get(mport, "/metrics")
                if code == 200:
                    ok = True
                    break
            except (OSError, http.client.HTTPException):
                pass
            time.sleep(0.05)
        chk.check(ok, "scrape from 127.0.0.1 after the flood closed")

        gw.wait_log("totals in=", "a periodic totals line")
        gw.signal(signal.SIGTERM)
        gw.wait_log("shutting down", "the drain to begin")
        code, _, text = get(mport, "/readyz")
        chk.check(code == 503 and text == "not ready\n",
                  "/readyz while draining: %s %r" % (code, text))
        rc = gw.wait_exit()
        chk.eq(rc, 0, "exit code after SIGTERM")
        log = gw.stderr_text()
        for needle in (
                "info streamgate %s, config %s" % (
                    status["version"], gw.config_path),
                "info   input grpc: 127.0.0.1:%d (plaintext, 1 api key(s))"
                % port,
                "info   module 'temps': events temp -> file %s" %
                os.path.join(work, "out", "temps.jsonl"),
                "info   module 'bulk': bulk label telemetry -> file %s" %
                os.path.join(work, "out", "bulk.jsonl"),
                "info   devices: 2 in the registry",
                "info module 'temps': totals in=",
                "info module 'temps': final totals in=5 delivered=5 "
                "dead_lettered=0 rejected_full=0 queued=0",
                "info module 'bulk': final totals in=0 delivered=0"):
            chk.check(needle in log, "log has %r" % needle)
        chk.check(API_KEY not in log, "the key is not in the log")
        channel.close()

    try:
        return harness.run_checks("metrics_port_test", work, chk, body)
    finally:
        for s in flood:
            s.close()
        gw.kill()
        gw.close_files()


if __name__ == "__main__":
    sys.exit(main())
