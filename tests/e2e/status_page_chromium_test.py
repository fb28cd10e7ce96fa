#!/usr/bin/python3
"""The status page at / on the metrics port, in a real browser.

Usage: /usr/bin/python3 status_page_chromium_test.py STREAMGATE SOURCE_DIR [PNG]

Starts a real gateway (no API keys, three modules: two file sinks and one
Kinesis module whose endpoint refuses connections), publishes 3 "temp"
events and 2 "kin.test" events over gRPC, then loads http://.../ in Debian's
headless Chromium (--dump-dom after the page's own JavaScript fetched
/status.json and rendered it; --virtual-time-budget lets its timers run)
and asserts on the DOM: one row per module with its name, the "temps" row
with accepted and delivered 3, the Kinesis row with its last error, the
gRPC input "serving". It also takes a screenshot (PNG, default
./status_page.png; ctest writes build/tests/e2e/status_page.png) for a
person to look at.
Exit 0 = pass.
"""

import html.parser
import os
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "lib"))
import harness  # noqa: E402
from harness import Checker, Fatal, Gateway  # noqa: E402

CALL_TIMEOUT = 10.0
BROWSER_TIMEOUT = 90.0

CONFIG = """\
grpc: {{listen: "127.0.0.1:{port}"}}
metrics: {{listen: "127.0.0.1:{mport}"}}
shutdown_timeout_ms: 3000
modules:
  - id: temps
    description: temperatures
    subscribe_events: ["temp"]
    sink: {{type: file, path: "{dir}/temps.jsonl"}}
  - id: telemetry-archive
    bulk_data_label: telemetry
    sink: {{type: file, path: "{dir}/telemetry.jsonl"}}
  - id: kin-down
    subscribe_events: ["kin.test"]
    sink:
      type: kinesis
      stream_name: nowhere
      region: us-east-1
      endpoint: "http://127.0.0.1:1"
      connect_timeout_ms: 300
      request_timeout_ms: 500
      initial_backoff_ms: 50
      max_backoff_ms: 100
"""


class Tables(html.parser.HTMLParser):
    """Rows of every <table id=...> as lists of cell texts, by table id;
    row ids kept in `row_ids`."""

    def __init__(self):
        super().__init__()
        self.tables = {}
        self.row_ids = {}
        self._table = None
        self._row = None
        self._cell = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "table":
            self._table = a.get("id")
            self.tables[self._table] = []
        elif tag == "tr" and self._table is not None:
            self._row = []
            self._row_id = a.get("id")
        elif tag in ("td", "th") and self._row is not None:
            self._cell = []

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None:
            self._row.append("".join(self._cell).strip())
            self._cell = None
        elif tag == "tr" and self._row is not None:
            self.tables[self._table].append(self._row)
            if self._row_id:
                self.row_ids[self._row_id] = self._row
            self._row = None
        elif tag == "table":
            self._table = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)


def chromium():
    for name in ("chromium", "chromium-browser"):
        path = shutil.which(name)
        if path:
            return path
    raise Fatal("Debian's chromium is not installed (tools/deps.sh "
                "TEST_PACKAGES has it)")


def browse(work, url, *args):
    profile = os.path.join(work, "chromium-profile")
    cmd = [chromium(), "--headless", "--no-sandbox", "--disable-gpu",
           "--disable-dev-shm-usage", "--no-first-run",
           "--user-data-dir=" + profile, "--virtual-time-budget=5000",
           "--window-size=1400,700"] + list(args) + [url]
    env = dict(os.environ, HOME=work)
    res = subprocess.run(cmd, capture_output=True, timeout=BROWSER_TIMEOUT,
                         env=env)
    if res.returncode != 0:
        raise Fatal("chromium exited %d: %s" % (
            res.returncode, res.stderr.decode("utf-8", "replace")[-2000:]))
    return res.stdout.decode("utf-8", "replace")


def main():
    if len(sys.argv) not in (3, 4):
        print(__doc__)
        return 2
    binary, src = sys.argv[1], sys.argv[2]
    shot = os.path.abspath(sys.argv[3] if len(sys.argv) == 4
                           else "status_page.png")
    work = tempfile.mkdtemp(prefix="streamgate-status-page-")
    chk = Checker()
    harness.generate_stubs(src, os.path.join(work, "stubs"))
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "secret-for-tests")
    port, mport = harness.free_port(), harness.free_port()
    gw = Gateway(binary, work, CONFIG.format(port=port, mport=mport,
                                             dir=os.path.join(work, "out")))

    def body():
        gw.start()
        channel = gw.serving_channel(port)
        from streamgate.v1 import gateway_pb2, gateway_pb2_grpc
        stub = gateway_pb2_grpc.GatewayStub(channel)
        for i in range(3):
            ev = gateway_pb2.Event(event_type="temp", home_id=7)
            ev.event_data.update({"celsius": 20 + i})
            stub.PublishEvent(ev, timeout=CALL_TIMEOUT)
        for _ in range(2):
            stub.PublishEvent(gateway_pb2.Event(event_type="kin.test", home_id=7),
                              timeout=CALL_TIMEOUT)
        # The Kinesis module logs its first failed attempt; the file module
        # reports its batch delivered.
        gw.wait_log("module 'kin-down'", "the Kinesis module's first error")
        url = "http://127.0.0.1:%d/" % mport
        rows = {}
        for _ in range(20):
            parsed = Tables()
            parsed.feed(browse(work, url, "--dump-dom"))
            rows = parsed.row_ids
            temps = rows.get("module-temps")
            kin = rows.get("module-kin-down")
            if temps and temps[7] == "3" and kin and kin[10]:
                break
            time.sleep(0.2)
        chk.check(set(rows) >= {"module-temps", "module-telemetry-archive",
                                "module-kin-down"},
                  "a row per module in the rendered DOM: %r" % sorted(rows))
        header = parsed.tables.get("modules", [[]])[0]
        chk.eq(header[:3], ["module", "state", "sink"], "modules table header")
        temps = rows.get("module-temps", [""] * 11)
        chk.check(temps[0] == "temps" and temps[1] == "running" and
                  temps[2].startswith("file ") and temps[6] == "3" and
                  temps[7] == "3" and temps[8] == "0",
                  "temps row: module, running, file sink, accepted 3, "
                  "delivered 3, dead-lettered 0: %r" % temps)
        kin = rows.get("module-kin-down", [""] * 11)
        chk.check(kin[0] == "kin-down" and kin[2].startswith("kinesis ") and
                  kin[6] == "2" and "kin-down" in kin[10],
                  "kin-down row: accepted 2 and its last error: %r" % kin)
        inputs = parsed.tables.get("inputs", [])
        chk.check(len(inputs) == 2 and inputs[1][0] == "grpc" and
                  inputs[1][1] == "127.0.0.1:%d" % port and
                  inputs[1][2] == "serving",
                  "inputs table: grpc serving: %r" % inputs)
        if os.path.exists(shot):
            os.unlink(shot)
        browse(work, url, "--screenshot=" + shot)
        chk.check(os.path.getsize(shot) > 10000 and
                  open(shot, "rb").read(8) == b"\x89PNG\r\n\x1a\n",
                  "screenshot %s is a PNG" % shot)
        channel.close()
        chk.eq(gw.stop(), 0, "gateway exit code")
        print("screenshot: %s" % shot)

    try:
        return harness.run_checks("status_page_chromium_test", work, chk, body)
    finally:
        gw.kill()
        gw.close_files()


if __name__ == "__main__":
    sys.exit(main())
