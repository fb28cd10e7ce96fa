#!/usr/bin/python3
"""Device-registry benchmark (issue 14): load time and memory of a large
registry from a devices file.

For each format (CSV, JSON lines) a file of N devices (ids 1..N, homes
1..N/4, 100 classes) is written to a temp folder, then, RUNS times:
  - `streamgate --check-config` wall time (parse + load, no start);
  - a gateway started on it (gRPC on a free port, one stdout module): time
    from exec to its "started" log line, VmRSS once started, VmHWM (peak);
  - SIGHUP: the reload time the gateway logs ("loaded in N ms") and VmRSS
    after the swap (the old table freed).
The same is measured with no devices (the baseline RSS), so bytes per device
= (RSS - baseline) / N. With --inline M, also a config with M devices inline
in YAML (the pre-issue-14 way) for comparison.

Usage: bench/registry/run_registry_bench.py [--binary build/bin/streamgate]
    [--devices 1000000] [--runs 3] [--formats csv,jsonl] [--inline 0]
Prints one line per measurement and a RESULT line per format (medians).
"""

import argparse
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def write_file(path, n, fmt):
    with open(path, "w") as f:
        if fmt == "csv":
            f.write("id,home_id,class\n")
            f.writelines("%d,%d,class-%d\n" % (d, 1 + d // 4, d % 100)
                         for d in range(1, n + 1))
        else:
            f.writelines('{"id":%d,"home_id":%d,"class":"class-%d"}\n'
                         % (d, 1 + d // 4, d % 100) for d in range(1, n + 1))


def config(work, port, devices_line):
    path = os.path.join(work, "gw.yaml")
    with open(path, "w") as f:
        f.write('grpc: {listen: "127.0.0.1:%d"}\n%s\nmodules:\n'
                '  - {id: out, subscribe_events: ["*"], sink: {type: stdout}}\n'
                % (port, devices_line))
    return path


def status_kb(pid, key):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    return 0


def wait_for(path, pattern, proc, timeout=300):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with open(path, errors="replace") as f:
            m = re.search(pattern, f.read())
        if m:
            return m
        if proc.poll() is not None:
            sys.exit("gateway exited:\n" + open(path).read()[-2000:])
        time.sleep(0.005)
    sys.exit("timed out waiting for %r" % pattern)


def run_once(binary, work, devices_line, reload):
    cfg = config(work, free_port(), devices_line)
    t0 = time.monotonic()
    check = subprocess.run([binary, "--check-config", cfg], capture_output=True)
    check_s = time.monotonic() - t0
    if check.returncode != 0:
        sys.exit(check.stderr.decode())
    err = os.path.join(work, "gw.stderr")
    with open(err, "wb") as e, open(os.devnull, "wb") as out:
        t0 = time.monotonic()
        proc = subprocess.Popen([binary, "--config", cfg], stdout=out, stderr=e)
    try:
        wait_for(err, r"streamgate: started", proc)
        start_s = time.monotonic() - t0
        time.sleep(0.5)  # let start-up allocations settle
        rss = status_kb(proc.pid, "VmRSS")
        hwm = status_kb(proc.pid, "VmHWM")
        reload_ms = rss_after = None
        if reload:
            proc.send_signal(signal.SIGHUP)
            m = wait_for(err, r"device registry loaded in (\d+) ms", proc)
            wait_for(err, r"device registry reloaded", proc)
            reload_ms = int(m.group(1))
            time.sleep(0.5)
            rss_after = status_kb(proc.pid, "VmRSS")
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    return dict(check_s=check_s, start_s=start_s, rss_kb=rss, hwm_kb=hwm,
                reload_ms=reload_ms, rss_after_kb=rss_after)


def median(runs, key):
    values = [r[key] for r in runs if r[key] is not None]
    return statistics.median(values) if values else None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", default=os.path.join(ROOT, "build/bin/streamgate"))
    ap.add_argument("--devices", type=int, default=1000000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--formats", default="csv,jsonl")
    ap.add_argument("--inline", type=int, default=0)
    ap.add_argument("--keep", action="store_true")
    a = ap.parse_args()
    work = tempfile.mkdtemp(prefix="sg-registry-bench-")
    try:
        base = [run_once(a.binary, work, "", False) for _ in range(a.runs)]
        base_rss = median(base, "rss_kb")
        print("baseline (no devices): RSS %d KB, started in %.3f s"
              % (base_rss, median(base, "start_s")))
        cases = [(f, "devices_file: devices.%s" % f) for f in a.formats.split(",")]
        for fmt in a.formats.split(","):
            write_file(os.path.join(work, "devices." + fmt), a.devices, fmt)
        if a.inline:
            lines = "".join("  - {id: %d, home_id: %d, class: class-%d}\n"
                            % (d, 1 + d // 4, d % 100) for d in range(1, a.inline + 1))
            cases.append(("inline", "devices:\n" + lines))
        for name, line in cases:
            n = a.inline if name == "inline" else a.devices
            runs = []
            for i in range(a.runs):
                r = run_once(a.binary, work, line, name != "inline")
                runs.append(r)
                print("%s run %d: check-config %.2f s, started in %.2f s, RSS %.1f MB "
                      "(peak %.1f MB), reload %s ms, RSS after reload %s MB"
                      % (name, i + 1, r["check_s"], r["start_s"], r["rss_kb"] / 1024,
                         r["hwm_kb"] / 1024, r["reload_ms"],
                         "%.1f" % (r["rss_after_kb"] / 1024) if r["rss_after_kb"] else "-"))
            rss = median(runs, "rss_kb")
            print("RESULT format=%s devices=%d check_config_s=%.2f start_s=%.2f "
                  "rss_mb=%.1f peak_rss_mb=%.1f baseline_rss_mb=%.1f "
                  "bytes_per_device=%.1f reload_ms=%s"
                  % (name, n, median(runs, "check_s"), median(runs, "start_s"),
                     rss / 1024, median(runs, "hwm_kb") / 1024, base_rss / 1024,
                     (rss - base_rss) * 1024.0 / n, median(runs, "reload_ms")))
    finally:
        if a.keep:
            print("work dir kept: %s" % work)
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
