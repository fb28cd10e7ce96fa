#!/usr/bin/python3
"""`streamgate --check-config` on every examples/*.yaml, as shipped; and every
block marked `tested-by: examples_*_test.py ID` in the docs is one that
script runs (lib/examples_env.py SCENARIO_IDS), and the other way round.

Usage: /usr/bin/python3 examples_check_config_test.py STREAMGATE SOURCE_DIR
           [--sim SIM] [--tail TAIL]
Commands and configs rewritten as lib/examples_env.py says. Exit 0 = pass.
"""

import glob
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "lib"))
import doc_blocks  # noqa: E402
import examples_env  # noqa: E402
from examples_env import CMD_TIMEOUT, SCENARIO_IDS  # noqa: E402


def scenario(env):
    configs = sorted(glob.glob(os.path.join(env.src, "examples", "*.yaml")))
    names = [os.path.basename(c) for c in configs]
    for need in ("grpc-stdout.yaml", "mqtt-file.yaml", "grpc-kinesalite.yaml",
                 "spool.yaml", "mqtt-kinesis-aggregation.yaml"):
        env.check.check(need in names, "examples/%s missing" % need)
    for name in names:
        rel = os.path.join("examples", name)
        res = subprocess.run([env.binary, "--check-config", rel], cwd=env.src,
                             capture_output=True, timeout=CMD_TIMEOUT)
        env.check.check(res.returncode == 0, "--check-config %s exited %d: %s"
                        % (rel, res.returncode, (res.stdout + res.stderr)
                           .decode("utf-8", "replace").strip()))
        print("checked %s" % rel, flush=True)
    # Every block marked tested-by an examples script is one a script runs,
    # and every block a script runs is marked so.
    wanted = {(s, i) for s, ids in SCENARIO_IDS.items() for i in ids}
    marked = set()
    for b in doc_blocks.all_blocks(env.src):
        parts = b.marker_arg.split()
        if b.marker_kind == "tested-by" and len(parts) == 2 and re.match(
                r"^examples(_\w+)?_test\.py$", os.path.basename(parts[0])):
            marked.add((os.path.basename(parts[0]), parts[1]))
    env.check.check(marked <= wanted, "blocks marked tested-by examples_*_test.py"
                    " that no script runs: %s" % sorted(marked - wanted))
    env.check.check(wanted <= marked, "blocks the examples scripts run but the "
                    "docs no longer mark: %s" % sorted(wanted - marked))


if __name__ == "__main__":
    sys.exit(examples_env.main(__doc__, os.path.basename(__file__), scenario))
