#!/usr/bin/python3
"""End-to-end test of the streamgate binary with Debian's Python gRPC client.

Usage: /usr/bin/python3 python_client_test.py STREAMGATE_BINARY SOURCE_DIR

Checks the command line (--help, --version, --check-config), then starts the
real gateway on a free 127.0.0.1 port with file and stdout sinks, checks
health and reflection, publishes events, bulk data and bad inputs over
PublishEvent, PublishBulkData and the Publish stream (lib/pyclient_inputs.py),
shuts it down with SIGTERM (health Watch goes NOT_SERVING), and then checks
every sink line byte for byte against an independent oracle (lib/oracle.py,
lib/pyclient.py). SIGTERM during a burst: python_client_burst_test.py.
Exit 0 = pass.
"""

import os
import re
import signal
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "lib"))
import harness  # noqa: E402
from harness import Gateway  # noqa: E402
import pyclient  # noqa: E402
from pyclient import (CALL_TIMEOUT, CONFIG, FILE_MODULES, MAX_MESSAGE,  # noqa: E402
                      MAX_RECORD, SINK_PATHS, Client, Expectations,
                      compare_module)
from pyclient_inputs import bad_inputs, stream, unary_bulk, unary_events  # noqa: E402


def health_and_reflection(channel, chk):
    from e2e_health import health_pb2, health_pb2_grpc
    from e2e_reflection import reflection_pb2, reflection_pb2_grpc
    resp = health_pb2_grpc.HealthStub(channel).Check(
        health_pb2.HealthCheckRequest(service=""), timeout=CALL_TIMEOUT)
    chk.eq(resp.status, health_pb2.HealthCheckResponse.SERVING,
           "health Check(\"\")")
    stub = reflection_pb2_grpc.ServerReflectionStub(channel)
    names = set()
    for r in stub.ServerReflectionInfo(
            iter([reflection_pb2.ServerReflectionRequest(list_services="")]),
            timeout=CALL_TIMEOUT):
        names |= {s.name for s in r.list_services_response.service}
    for want in ("streamgate.v1.Gateway", "grpc.health.v1.Health"):
        chk.check(want in names, "reflection list_services lacks %s (got %s)"
                  % (want, sorted(names)))


def watch_health(channel, seen):
    """Collects health Watch("") statuses until the stream ends."""
    import grpc
    from e2e_health import health_pb2, health_pb2_grpc
    try:
        for r in health_pb2_grpc.HealthStub(channel).Watch(
                health_pb2.HealthCheckRequest(service=""), timeout=60):
            seen.append(r.status)
    except grpc.RpcError:
        pass


def cli_checks(binary, work, chk):
    def run(*args):
        return subprocess.run([binary] + list(args), capture_output=True,
                              text=True, timeout=20)
    r = run("--help")
    chk.eq(r.returncode, 0, "--help exit code")
    chk.check("--config" in r.stdout + r.stderr and
              "--check-config" in r.stdout + r.stderr,
              "--help does not list --config and --check-config")
    r = run("--version")
    chk.eq(r.returncode, 0, "--version exit code")
    chk.check(re.search(r"\d+\.\d+", r.stdout + r.stderr) is not None,
              "--version prints no version: %r" % (r.stdout + r.stderr))
    good = os.path.join(work, "check-good.yaml")
    with open(good, "w") as f:
        f.write(CONFIG.format(port=harness.free_port(), dir=work,
                              max_record=MAX_RECORD, max_message=MAX_MESSAGE))
    r = run("--check-config", good)
    chk.eq(r.returncode, 0, "--check-config on a good config (stderr %r)" %
           r.stderr[-500:])
    bad = os.path.join(work, "check-bad.yaml")
    with open(bad, "w") as f:
        f.write('grpc:\n  listen: "127.0.0.1:1"\nmodules:\n'
                '  - id: lonely_module\n    sink: {type: stdout}\n')
    r = run("--check-config", bad)
    chk.eq(r.returncode, 1, "--check-config on a module with neither "
           "subscribe_events nor bulk_data_label")
    out = r.stdout + r.stderr
    chk.check("lonely_module" in out and
              ("subscribe_events" in out or "bulk_data_label" in out),
              "--check-config error does not name module and field: %r" %
              out[-500:])


def main_scenario(binary, src, work, chk):
    import grpc
    port = harness.free_port()
    gw = Gateway(binary, work, CONFIG.format(
        port=port, dir=work, max_record=MAX_RECORD, max_message=MAX_MESSAGE),
        "main")
    gw.start()
    channel = grpc.insecure_channel("127.0.0.1:%d" % port)
    exp = Expectations()
    try:
        gw.wait_serving(channel)
        cl = Client(channel, chk, gw)
        health_and_reflection(channel, chk)
        unary_events(cl, exp, chk)
        unary_bulk(cl, exp, chk)
        bad_inputs(cl, chk)
        stream(cl, exp, chk)
        seen = []
        watcher = threading.Thread(target=watch_health, args=(channel, seen))
        watcher.start()
        deadline = time.monotonic() + 10
        while not seen and time.monotonic() < deadline:
            time.sleep(0.02)
        gw.signal(signal.SIGTERM)
        rc = gw.wait_exit()
        watcher.join(10)
        chk.eq(rc, 0, "main gateway exit code after SIGTERM")
        chk.check(seen[:1] == [1] and 2 in seen,
                  "health Watch should go SERVING -> NOT_SERVING on SIGTERM, "
                  "saw %s" % seen)
    finally:
        channel.close()
        gw.kill()
        gw.close_files()
    for module in FILE_MODULES:
        actual = harness.read_sink_lines(os.path.join(work, SINK_PATHS[module]),
                                         chk, "sink " + module)
        compare_module(chk, module, actual, exp.by_module.get(module, []))
    actual = harness.read_sink_lines(gw.stdout_path, chk, "stdout sink")
    compare_module(chk, "console", actual, exp.by_module.get("console", []))
    if chk.failures:
        print(gw.stderr_tail(60))


def run(binary, src, work, chk):
    cli_checks(binary, work, chk)
    main_scenario(binary, src, work, chk)


if __name__ == "__main__":
    sys.exit(pyclient.main(__doc__, "python_client_test",
                           "streamgate-e2e-py-", run))
