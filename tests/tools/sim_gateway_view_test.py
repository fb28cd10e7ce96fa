#!/usr/bin/python3
"""streamgate-sim --help lists its own flags, and an MQTT run given the
gateway's config says what the gateway refused instead of "all acked".

Usage: /usr/bin/python3 sim_gateway_view_test.py STREAMGATE STREAMGATE_SIM
                                                 EVENTS_JSON SIM_OPTIONS_CC

--help (and -h, --helpfull) exits 0 and names every ABSL_FLAG defined in
SIM_OPTIONS_CC (dash spelling), without Abseil's "No flags matched" or its
own flags. Then a real mosquitto and a real gateway whose registry holds
devices 1 and 2 only: the simulator plays devices 1..4 (40 QoS 1 events,
device 1 + e % 4 sends event e) with --gateway-config: it warns about
devices 3-4 before sending, its SUMMARY says acked_messages=20
failed_messages=20 failed_REFUSED_BY_GATEWAY=20, it exits 3, and the
gateway's file sink holds exactly the 20 events of devices 1 and 2. The
same run with --gateway-metrics (the gateway's metrics port) prints
"GATEWAY received_messages=40 accepted_messages=20 rejected_messages=20
rejected_unknown_device=20" from the gateway's own counters, counts the 20
as failed_REFUSED_BY_GATEWAY and exits 3.
The gateway's /status.json shows its MQTT input connected to the broker.
Finally bulk data over gRPC larger than grpc.max_message_bytes (4096):
gRPC's own RESOURCE_EXHAUSTED is counted as failed_MESSAGE_TOO_LARGE, not
as backpressure, for unary calls and on the Publish stream.
Exit 0 = pass.
"""

import json
import os
import re
import subprocess
import sys
import tempfile
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "e2e", "lib"))
import harness  # noqa: E402
from harness import Checker, Gateway  # noqa: E402
from peers import Mosquitto, count_lines, wait_for  # noqa: E402

CONFIG = """\
grpc: {{listen: "127.0.0.1:{grpc_port}", max_message_bytes: 4096}}
metrics: {{listen: "127.0.0.1:{metrics_port}"}}
devices:
  - {{id: 1, home_id: 7}}
  - {{id: 2, home_id: 7}}
mqtt:
  host: 127.0.0.1
  port: {port}
  client_id: sim-view-test-gateway
  qos: 1
modules:
  - id: events
    subscribe_events: ["*"]
    sink: {{type: file, path: "{dir}/events.jsonl"}}
"""
RUN_TIMEOUT = 60


def check_help(chk, sim, options_cc):
    with open(options_cc, encoding="utf-8") as f:
        flags = re.findall(r"ABSL_FLAG\(\s*[\w:]+\s*,\s*(\w+)", f.read())
    chk.check(len(flags) > 15, "found the simulator's flags: %r" % flags)
    for arg in ("--help", "-h", "--helpfull"):
        res = subprocess.run([sim, arg], capture_output=True, text=True,
                             timeout=RUN_TIMEOUT)
        missing = [f for f in flags if "--" + f.replace("_", "-") not in res.stdout]
        chk.check(res.returncode == 0 and not missing and
                  "No flags matched" not in res.stdout + res.stderr and
                  "--flagfile" not in res.stdout,
                  "%s: rc %d, flags missing %r" % (arg, res.returncode, missing))


def main():
    if len(sys.argv) != 5:
        print(__doc__)
        return 2
    binary, sim, events, options_cc = sys.argv[1:5]
    work = tempfile.mkdtemp(prefix="streamgate-sim-view-")
    chk = Checker()
    broker = Mosquitto(work)
    gw = None

    def body():
        nonlocal gw
        check_help(chk, sim, options_cc)
        broker.start()
        grpc_port, metrics_port = harness.free_port(), harness.free_port()
        gw = Gateway(binary, work, CONFIG.format(
            grpc_port=grpc_port, metrics_port=metrics_port, port=broker.port,
            dir=work))
        gw.start()
        gw.wait_log("mqtt: subscribed", "the gateway's MQTT subscription")
        # The status page's inputs: the MQTT input connected to its broker.
        with urllib.request.urlopen("http://127.0.0.1:%d/status.json"
                                    % metrics_port, timeout=10) as resp:
            inputs = json.loads(resp.read().decode())["inputs"]
        chk.eq([(i["name"], i["address"], i["state"]) for i in inputs],
               [("grpc", "127.0.0.1:%d" % grpc_port, "serving"),
                ("mqtt", "broker 127.0.0.1:%d" % broker.port, "connected")],
               "status.json inputs with MQTT")
        res = subprocess.run(
            [sim, "--transport", "mqtt", "--target",
             "127.0.0.1:%d" % broker.port, "--devices", "4", "--events",
             events, "--count", "40", "--qos", "1", "--quiet",
             "--gateway-config", gw.config_path],
            capture_output=True, text=True, timeout=RUN_TIMEOUT)
        chk.eq(res.returncode, 3, "sim exit code (some refused); stderr %r"
               % res.stderr)
        chk.check("refuses MQTT messages from device(s) 3-4" in res.stderr,
                  "warning names devices 3-4: %r" % res.stderr)
        summary = [ln for ln in res.stdout.splitlines()
                   if ln.startswith("SUMMARY ")]
        fields = dict(kv.split("=", 1) for kv in summary[-1].split()[1:]) \
            if summary else {}
        chk.eq((fields.get("sent_messages"), fields.get("acked_messages"),
                fields.get("failed_messages"),
                fields.get("failed_REFUSED_BY_GATEWAY")),
               ("40", "20", "20", "20"), "SUMMARY counts: %r" % summary)
        # Unary: each call fails (exit 3); stream: gRPC ends the whole
        # stream (exit 1, the transport failed), its requests counted.
        for mode, want_rc in (("unary", 3), ("stream", 1)):
            grpc = subprocess.run(
                [sim, "--transport", "grpc", "--target",
                 "127.0.0.1:%d" % grpc_port, "--devices", "1", "--bulk-label",
                 "telemetry", "--bulk-records", "2", "--bulk-record-bytes",
                 "5000", "--count", "2", "--grpc-mode", mode, "--quiet"],
                capture_output=True, text=True, timeout=RUN_TIMEOUT)
            # The stream may end before the second message is sent: every
            # message sent is counted as too large, none as backpressure.
            sline = [ln for ln in grpc.stdout.splitlines()
                     if ln.startswith("SUMMARY ")]
            f = dict(kv.split("=", 1) for kv in sline[-1].split()[1:]) \
                if sline else {}
            sent = f.get("sent_messages", "0")
            chk.check(grpc.returncode == want_rc and int(sent) >= 1 and
                      f.get("failed_MESSAGE_TOO_LARGE") == sent and
                      f.get("acked_messages") == "0" and
                      (mode == "stream" or sent == "2") and
                      "failed_RESOURCE_EXHAUSTED" not in grpc.stdout,
                      "gRPC %s over max_message_bytes: rc %d %r %r" % (
                          mode, grpc.returncode, grpc.stdout, grpc.stderr))
        sink = os.path.join(work, "events.jsonl")
        wait_for(lambda: count_lines(sink) >= 20, "20 events in the sink")
        # The same run judged by the gateway's own counters.
        res = subprocess.run(
            [sim, "--transport", "mqtt", "--target",
             "127.0.0.1:%d" % broker.port, "--devices", "4", "--events",
             events, "--count", "40", "--qos", "1", "--quiet",
             "--gateway-metrics", "127.0.0.1:%d" % metrics_port],
            capture_output=True, text=True, timeout=RUN_TIMEOUT)
        gateway_line = [ln for ln in res.stdout.splitlines()
                        if ln.startswith("GATEWAY ")]
        chk.check(res.returncode == 3 and gateway_line and gateway_line[0] ==
                  "GATEWAY received_messages=40 accepted_messages=20 "
                  "rejected_messages=20 rejected_unknown_device=20" and
                  "failed_REFUSED_BY_GATEWAY=20" in res.stdout,
                  "--gateway-metrics: rc %d %r %r" % (res.returncode,
                                                      res.stdout, res.stderr))
        wait_for(lambda: count_lines(sink) >= 40, "40 events in the sink")
        chk.eq(gw.stop(), 0, "gateway exit code")
        devices = sorted({int(json.loads(l)["partitionKey"])
                          for l in open(sink, encoding="utf-8")})
        chk.eq((count_lines(sink), devices), (40, [1, 2]),
               "the sink holds the 2 x 20 events of devices 1 and 2")

    try:
        return harness.run_checks("sim_gateway_view_test", work, chk, body)
    finally:
        if gw is not None:
            gw.kill()
            gw.close_files()
        broker.stop()


if __name__ == "__main__":
    sys.exit(main())
