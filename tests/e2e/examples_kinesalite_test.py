#!/usr/bin/python3
"""examples/kinesalite.sh and examples/grpc-kinesalite.yaml, as the docs show.

kinesalite started with the documented script, a Python client and the
simulator command; the stream read back with the documented
streamgate-tail command holds every acknowledged record, byte for byte
where the input is known, and nothing is dead-lettered.

Usage: /usr/bin/python3 examples_kinesalite_test.py STREAMGATE SOURCE_DIR
           [--sim SIM] [--tail TAIL]
Commands and configs rewritten as lib/examples_env.py says. Exit 0 = pass.
"""

import base64
import json
import os
import re
import shlex
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "lib"))
import examples_env  # noqa: E402
import harness  # noqa: E402
import kinesis_peer  # noqa: E402
from examples_model import (compare_sim, publish_known, sim_model,  # noqa: E402
                            split_records)
from harness import Fatal  # noqa: E402
from peers import stop_process, wait_for  # noqa: E402


def scenario(env):
    k_port = harness.free_port()
    k_url = "http://127.0.0.1:%d" % k_port
    grpc_addr = "127.0.0.1:%d" % harness.free_port()
    cmd = env.one_command("kinesalite-start")
    if shlex.split(cmd)[0] != "examples/kinesalite.sh":
        raise Fatal("kinesalite-start: not examples/kinesalite.sh: %r" % cmd)
    log_path = os.path.join(env.work, "kinesalite.out")
    log = open(log_path, "wb")
    env.cleanups.append(log.close)
    proc = env.run_command(cmd, {}, background=True, stdout=log,
                           extra=["--port", str(k_port)])

    env.cleanups.append(lambda: stop_process(proc))

    def kl_out():
        with open(log_path, "rb") as f:
            return f.read().decode("utf-8", "replace")
    wait_for(lambda: "is ACTIVE" in kl_out() or proc.poll() is not None,
             "kinesalite.sh's stream", timeout=40)
    if proc.poll() is not None:
        raise Fatal("kinesalite.sh exited %s:\n%s" % (proc.returncode, kl_out()))
    m = re.search(r'stream "([^"]+)" \((\d+) shards\) is ACTIVE', kl_out())
    stream = m.group(1) if m else None
    env.check.check("listening on %s" % k_url in kl_out(),
                    "kinesalite.sh: listening on %s:\n%s" % (k_url, kl_out()))

    subs = {"127.0.0.1:50051": grpc_addr, "http://127.0.0.1:4567": k_url}
    gw, config, gw_env = env.gateway_from_block("grpc-kinesalite-run", subs,
                                                "grpc-kinesalite")
    registry = env.registry(config)
    with open(os.path.join(env.src, "examples", config)) as f:
        env.check.check("stream_name: %s " % stream in f.read(),
                        "examples/%s streams to %r, the one kinesalite.sh "
                        "creates" % (config, stream))
    env.wait_serving(gw, grpc_addr)
    known, alarm = publish_known(env, grpc_addr)
    runs = env.run_sim("grpc-kinesalite-sim", subs)
    env.check.eq(runs[0][1].get("acked_records"), "250",
                 "grpc-kinesalite-sim: acked_records")
    env.stop(gw, "grpc-kinesalite gateway")

    res, _ = env.run_command(env.one_command("kinesalite-tail"), subs,
                             env=kinesis_peer.aws_env())
    env.check.eq(res.returncode, 0, "kinesalite-tail: exit status (%s)" %
                 res.stderr.decode("utf-8", "replace")[-500:])
    records = []
    for line in res.stdout.decode("utf-8").splitlines():
        r = json.loads(line)
        records.append((r["partitionKey"], base64.b64decode(r["data"])))
    # One module taking every event: the alarm is there once, keyed by home.
    events, bulk = split_records(env, "stream", records, known, registry)
    want_e, want_b = sim_model(env, runs[0][0], int(runs[0][1]["sent_messages"]))
    compare_sim(env, "stream", events, bulk, want_e, want_b)
    dead = os.path.join(env.work, "out", "kinesis-dead.jsonl")
    env.check.check(not os.path.exists(dead) or os.path.getsize(dead) == 0,
                    "dead letters written: %s" % dead)
    print("stream: %d records" % len(records), flush=True)


if __name__ == "__main__":
    sys.exit(examples_env.main(__doc__, os.path.basename(__file__), scenario))
