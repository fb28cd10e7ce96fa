#!/usr/bin/python3
"""examples/grpc-stdout.yaml, driven with the commands the docs show.

A Python gRPC client (events with known bytes, bulk data in both MessagePack
forms of docs/product.md, an unrouted label) and the simulator commands of
examples/README.md and README.md; every record on stdout, byte for byte
where the input is known.

Usage: /usr/bin/python3 examples_grpc_stdout_test.py STREAMGATE SOURCE_DIR
           [--sim SIM] [--tail TAIL]
Commands and configs rewritten as lib/examples_env.py says. Exit 0 = pass.
"""

import collections
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "lib"))
import examples_env  # noqa: E402
import harness  # noqa: E402
from examples_model import (compare_sim, publish_known, sim_model,  # noqa: E402
                            split_records)


def scenario(env):
    port = harness.free_port()
    addr = "127.0.0.1:%d" % port
    subs = {"127.0.0.1:50051": addr}
    gw, config, _ = env.gateway_from_block("grpc-stdout-run", subs,
                                           "grpc-stdout")
    registry = env.registry(config)
    env.wait_serving(gw, addr)
    known, alarm = publish_known(env, addr)
    runs = env.run_sim("grpc-stdout-sim", subs)
    # examples/README.md says so:
    env.check.eq(runs[0][1].get("acked_records"), "250",
                 "grpc-stdout-sim: acked_records (as examples/README.md says)")
    runs += env.run_sim("readme-sim-grpc", subs)
    env.stop(gw, "grpc-stdout gateway")

    lines = harness.read_sink_lines(gw.stdout_path, env.check, "stdout")
    console = [(k, d) for m, k, d in lines if m == "console"]
    alarms = [(k, d) for m, k, d in lines if m == "alarms"]
    env.check.check(all(m in ("console", "alarms") for m, _, _ in lines),
                    "stdout: unknown module in %r" % {m for m, _, _ in lines})
    env.check.eq(len(alarms), 1, "alarms module: records (only the client's "
                 "alarm)")
    for key, data in alarms:
        env.check.check(harness.UUID4.match(key) is not None,
                        "alarms: key %r is not a UUIDv4" % key)
        env.check.eq(data, alarm, "alarms: the alarm's bytes")
    events, bulk = split_records(env, "stdout", console, known, registry)
    want_e, want_b = collections.Counter(), collections.Counter()
    for argv, summary in runs:
        e, b = sim_model(env, argv, int(summary["sent_messages"]))
        want_e += e
        want_b += b
    compare_sim(env, "stdout", events, bulk, want_e, want_b)
    print("stdout: %d records" % len(lines), flush=True)


if __name__ == "__main__":
    sys.exit(examples_env.main(__doc__, os.path.basename(__file__), scenario))
