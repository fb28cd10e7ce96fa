#!/usr/bin/python3
"""Known bug 6 of six, black box (red until it is fixed):
duplicate YAML keys.

Usage: /usr/bin/python3 shape_bug_duplicate_keys_test.py STREAMGATE SOURCE_DIR [--ctl CTL]

duplicate_yaml_keys: a duplicate YAML key is a config error naming the
key and both lines.

Own gateway(s) on free ports, < 20 s, PASS/FAIL, exit 1 if it failed (see
lib/shape_bugs.py); a fixed gateway's new formats: the case's docstring.
"""

import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "lib"))
import harness  # noqa: E402
from shape_bugs import read_text, run_cases  # noqa: E402


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


if __name__ == "__main__":
    sys.exit(run_cases(__doc__, [("duplicate_yaml_keys", case_duplicate_yaml_keys)]))
