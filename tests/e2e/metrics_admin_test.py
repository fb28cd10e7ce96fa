#!/usr/bin/python3
"""End-to-end test of /metrics, the Admin service and streamgate-ctl.

Usage: /usr/bin/python3 metrics_admin_test.py STREAMGATE STREAMGATE_CTL SOURCE_DIR

Starts the real gateway on free 127.0.0.1 ports with three file-sink modules
and one Kinesis module whose endpoint refuses connections
(http://127.0.0.1:1). Publishes a known load over gRPC (accepted, unrouted
and invalid events), then:
  - scrapes /metrics, parses the whole text with lib/prom_text.py (every
    line a comment or `name{labels} value`, HELP/TYPE once and before their
    samples, families contiguous, label escaping, histogram buckets
    cumulative) and checks exact counter values, the byte counts against the
    sink files;
  - checks ListModules and GetModuleLog (the Kinesis error in the module's
    log, level filter, limit, unknown module, bad level);
  - runs streamgate-ctl modules / logs, and its errors: unknown module,
    nothing listening, a bad command.
The gateway with an API key: metrics_admin_auth_test.py. Exit 0 = pass.
"""

import os
import re
import signal
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "lib"))
import harness  # noqa: E402
from harness import Checker, Fatal, Gateway  # noqa: E402
from metrics_admin import (API_KEY, CALL_TIMEOUT, CONFIG, run_ctl,  # noqa: E402
                           scrape, set_aws_env, sink_bytes)
from prom_text import (ParseError, parse_exposition,  # noqa: E402
                       parser_self_test, value_of)


def main():
    if len(sys.argv) != 4:
        print(__doc__)
        return 2
    binary, ctl, src = sys.argv[1], sys.argv[2], sys.argv[3]
    work = tempfile.mkdtemp(prefix="streamgate-metrics-")
    chk = Checker()
    gateways = []

    def body():
        try:
            harness.generate_stubs(src, os.path.join(work, "stubs"), admin=True)
            import grpc
            from streamgate.v1 import (admin_pb2, admin_pb2_grpc, gateway_pb2,
                                       gateway_pb2_grpc)
            parser_self_test(chk)

            port, mport = harness.free_port(), harness.free_port()
            gw = Gateway(binary, work, CONFIG.format(
                port=port, metrics_port=mport, dir=work, extra=""))
            set_aws_env()
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

            for g in gateways:
                g.signal(signal.SIGTERM)
            for g in gateways:
                g.wait_exit()
            for g in gateways:
                with open(g.stderr_path, encoding="utf-8", errors="replace") as f:
                    chk.check(API_KEY not in f.read(), "key not in %s log" % g.stderr_path)
        finally:
            for g in gateways:
                g.kill()
                g.close_files()
    return harness.run_checks("metrics_admin_test", work, chk, body)


if __name__ == "__main__":
    sys.exit(main())
