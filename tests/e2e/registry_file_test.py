#!/usr/bin/python3
"""The device registry from a file at scale (issue 14 item 1), end to end:
a 1,000,000-device CSV made at test time, the gateway started on it, gRPC
events with home_id 0 from the first, a middle and the last device get
their registry home and class; an unknown device's event is refused, its
bulk data accepted (the one rule on both doors). Then SIGHUP with a
changed file while a client sends events from the last device without a
pause: every one is accepted, the home ids in the sink switch once from
the old to the new (never back), and the new device is known. A bad file
on the next SIGHUP is logged and the registry kept; /metrics counts both
reloads and the registry's size.

No timing is asserted; start-up time and memory are in bench/ (the
registry bench).

Usage: /usr/bin/python3 registry_file_test.py STREAMGATE SOURCE_DIR
"""

import base64
import json
import os
import signal
import sys
import tempfile
import threading
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "lib"))
import harness  # noqa: E402

DEVICES = 1000000
LAST = DEVICES
NEW = DEVICES + 1
CALL_TIMEOUT = 30

CONFIG = """\
grpc: {{listen: "127.0.0.1:{port}"}}
metrics: {{listen: "127.0.0.1:{mport}"}}
devices_file: devices.csv
modules:
  - id: all
    subscribe_events: ["*"]
    bulk_data_label: "*"
    sink: {{type: file, path: "{dir}/sink.jsonl"}}
"""


def home_of(device, generation):
    return 10 * device + generation


def write_devices(path, generation, extra=()):
    """Devices 1..DEVICES, home 10*id+generation, class c<id % 100>; then
    `extra` lines as given. Written aside and renamed, as an operator
    would, so a reload never reads half a file."""
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write("id,home_id,class\n")
        f.writelines("%d,%d,c%d\n" % (d, home_of(d, generation), d % 100)
                     for d in range(1, DEVICES + 1))
        f.writelines(line + "\n" for line in extra)
    os.rename(tmp, path)


def sink_events(path):
    out = []
    with open(path, "rb") as f:
        for line in f:
            rec = json.loads(line)
            if "eventType" in base64.b64decode(rec["data"]).decode(errors="replace"):
                out.append(json.loads(base64.b64decode(rec["data"])))
    return out


def main():
    binary, src = sys.argv[1], sys.argv[2]
    work = tempfile.mkdtemp(prefix="sg-registry-")
    chk = harness.Checker()

    def body():
        harness.generate_stubs(src, os.path.join(work, "stubs"))
        import grpc
        from streamgate.v1 import gateway_pb2 as pb, gateway_pb2_grpc as pbg

        csv = os.path.join(work, "devices.csv")
        write_devices(csv, 1)
        port = harness.free_port()
        mport = harness.free_port()
        gw = harness.Gateway(binary, work,
                             CONFIG.format(port=port, mport=mport, dir=work))
        gw.start()
        try:
            ch = gw.serving_channel(port, timeout=120)
            stub = pbg.GatewayStub(ch)

            def event(device, kind="reading"):
                e = pb.Event(event_type=kind, home_id=0)
                e.origin_device_id = device
                return e

            for d in (1, DEVICES // 2, LAST):
                stub.PublishEvent(event(d, "first"), timeout=CALL_TIMEOUT)
            try:
                stub.PublishEvent(event(NEW), timeout=CALL_TIMEOUT)
                chk.check(False, "an event from unknown device %d was accepted" % NEW)
            except grpc.RpcError as e:
                chk.eq(e.code(), grpc.StatusCode.INVALID_ARGUMENT,
                       "unknown device's event: code")
                chk.check("not in the device registry" in e.details(),
                          "unknown device's event: %r names the registry" % e.details())
            stub.PublishBulkData(pb.BulkData(device_id=NEW, label="logs",
                                             records=[b"r"]), timeout=CALL_TIMEOUT)

            # Reload under load: one client sends events from LAST without a
            # pause until the new registry is seen.
            results = []  # (ok, message) of every call
            stop = threading.Event()

            def sender():
                while not stop.is_set():
                    try:
                        stub.PublishEvent(event(LAST), timeout=CALL_TIMEOUT)
                        results.append((True, ""))
                    except grpc.RpcError as e:
                        results.append((False, "%s %s" % (e.code(), e.details())))
            t = threading.Thread(target=sender)
            t.start()
            try:
                while len(results) < 20:  # the sender is under way
                    if gw.proc.poll() is not None:
                        raise harness.Fatal("gateway exited")
                    stop.wait(0.01)
                write_devices(csv, 2, extra=["%d,%d,new" % (NEW, home_of(NEW, 2))])
                before = len(results)
                gw.signal(signal.SIGHUP)
                gw.wait_log("device registry reloaded (%d devices)" % (DEVICES + 1),
                            "the reload", timeout=120)
                during = len(results) - before
                # A few more after the swap.
                target = len(results) + 20
                while len(results) < target and gw.proc.poll() is None:
                    stop.wait(0.01)
            finally:
                stop.set()
                t.join()
            failed = [m for ok, m in results if not ok]
            chk.eq(failed, [], "every event sent during the reload was accepted")
            print("%d events sent during the reload, %d in all"
                  % (during, len(results)))
            chk.check(during > 0, "events were answered while the file loaded")
            stub.PublishEvent(event(NEW, "new"), timeout=CALL_TIMEOUT)

            # A bad file: refused, the registry kept.
            with open(csv, "a") as f:
                f.write("%d,0,bad\n" % (NEW + 1))
            gw.signal(signal.SIGHUP)
            gw.wait_log("keeping the current config",
                        "the refused reload", timeout=120)
            chk.check("devices.csv line %d: home_id: must be a positive integer"
                      % (DEVICES + 3) in gw.log_text(),
                      "the refused reload names the file and line")
            stub.PublishEvent(event(NEW, "kept"), timeout=CALL_TIMEOUT)
            text = urllib.request.urlopen(
                "http://127.0.0.1:%d/metrics" % mport, timeout=CALL_TIMEOUT).read().decode()
            for sample in ("streamgate_device_registry_devices %d" % (DEVICES + 1),
                           'streamgate_device_registry_reloads_total{result="ok"} 1',
                           'streamgate_device_registry_reloads_total{result="refused"} 1'):
                chk.check(sample + "\n" in text, "/metrics has %r" % sample)
            ch.close()
            chk.eq(gw.stop(), 0, "gateway exit code")

            events = sink_events(os.path.join(work, "sink.jsonl"))
            firsts = {e["originDeviceId"]: e for e in events if e["eventType"] == "first"}
            for d in (1, DEVICES // 2, LAST):
                e = firsts.get(d, {})
                chk.eq(e.get("homeId"), home_of(d, 1), "device %d's registry home" % d)
                chk.eq(e.get("originDeviceClass"), "c%d" % (d % 100),
                       "device %d's registry class" % d)
            homes = [e["homeId"] for e in events if e["eventType"] == "reading"]
            chk.eq(len(homes), len(results), "every accepted event is in the sink")
            switch = homes.index(home_of(LAST, 2)) if home_of(LAST, 2) in homes else -1
            chk.check(switch > 0, "events before the swap have the old home")
            chk.eq(set(homes[:switch]), {home_of(LAST, 1)}, "old home before the swap")
            chk.eq(set(homes[switch:]), {home_of(LAST, 2)},
                   "new home after the swap, never the old one again")
            for kind in ("new", "kept"):
                e = [x for x in events if x["eventType"] == kind]
                chk.eq([(x["homeId"], x.get("originDeviceClass")) for x in e],
                       [(home_of(NEW, 2), "new")], "the new device's event (%s)" % kind)
        finally:
            gw.kill()
            gw.close_files()

    return harness.run_checks("registry_file_test", work, chk, body)


if __name__ == "__main__":
    sys.exit(main())
