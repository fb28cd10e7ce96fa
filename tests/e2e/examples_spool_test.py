#!/usr/bin/python3
"""examples/spool.yaml across a kill -9, as the docs show.

The simulator command, kill -9, a restart; every acknowledged record in the
file (at least once), spool metrics on the metrics port.

Usage: /usr/bin/python3 examples_spool_test.py STREAMGATE SOURCE_DIR
           [--sim SIM] [--tail TAIL]
Commands and configs rewritten as lib/examples_env.py says. Exit 0 = pass.
"""

import collections
import os
import sys
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "lib"))
import examples_env  # noqa: E402
import harness  # noqa: E402
from examples_model import compare_sim, sim_model, split_records  # noqa: E402


def scenario(env):
    grpc_addr = "127.0.0.1:%d" % harness.free_port()
    metrics_port = harness.free_port()
    subs = {"127.0.0.1:50051": grpc_addr,
            "127.0.0.1:9464": "127.0.0.1:%d" % metrics_port}
    gw, config, _ = env.gateway_from_block("spool-run", subs, "spool")
    registry = env.registry(config)
    env.wait_serving(gw, grpc_addr)
    runs = env.run_sim("spool-sim", subs)
    gw.kill()   # SIGKILL: the crash the example describes
    gw.close_files()
    spool_dir = os.path.join(env.work, "out", "spool", "archive")
    env.check.check(os.path.isdir(spool_dir), "spool dir %s" % spool_dir)

    gw2, _, _ = env.gateway_from_block("spool-run", subs, "spool-again")
    env.wait_serving(gw2, grpc_addr)
    with urllib.request.urlopen("http://127.0.0.1:%d/metrics" % metrics_port,
                                timeout=10) as r:
        metrics = r.read().decode()
    env.check.check('streamgate_module_spool_bytes{module="archive"}' in metrics,
                    "/metrics has the archive module's spool gauge")
    env.stop(gw2, "spool gateway (restarted)")

    path = os.path.join(env.work, "out", "spool", "archive.jsonl")
    lines = harness.read_sink_lines(path, env.check, "archive.jsonl")
    env.check.check(all(m == "archive" for m, _, _ in lines),
                    "archive.jsonl: module ids")
    distinct = set((k, d) for _, k, d in lines)
    events, bulk = split_records(env, "archive.jsonl", sorted(distinct),
                                 collections.Counter(), registry)
    argv, summary = runs[0]
    want_e, want_b = sim_model(env, argv, int(summary["sent_messages"]))
    # At-least-once: every acknowledged record, duplicates allowed (counted
    # once above, since each record of this run is distinct: events by their
    # receive time, bulk records by their numbering).
    compare_sim(env, "archive.jsonl", events, bulk, want_e, want_b,
                    at_least=True)
    print("archive.jsonl: %d lines, %d distinct, %s acknowledged" % (
        len(lines), len(distinct), summary["acked_records"]), flush=True)


if __name__ == "__main__":
    sys.exit(examples_env.main(__doc__, os.path.basename(__file__), scenario))
