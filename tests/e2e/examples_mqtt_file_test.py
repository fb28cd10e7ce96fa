#!/usr/bin/python3
"""examples/mqtt-file.yaml behind a real mosquitto, as the docs show.

The broker is started with the documented command; mosquitto_pub and the
simulator commands publish; the files hold exactly the documented counts,
each event with its registry home and class, and no rejection is logged.

Usage: /usr/bin/python3 examples_mqtt_file_test.py STREAMGATE SOURCE_DIR
           [--sim SIM] [--tail TAIL]
Commands and configs rewritten as lib/examples_env.py says. Exit 0 = pass.
"""

import collections
import json
import os
import re
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "lib"))
import examples_env  # noqa: E402
import harness  # noqa: E402
from examples_model import check_sim_event, compare_sim, sim_model  # noqa: E402
from harness import Fatal  # noqa: E402
from peers import count_lines, port_open, stop_process, wait_for  # noqa: E402


def scenario(env):
    mq_port = harness.free_port()
    grpc_addr = "127.0.0.1:%d" % harness.free_port()
    subs = {"127.0.0.1:50051": grpc_addr, "port: 1883": "port: %d" % mq_port,
            "127.0.0.1:1883": "127.0.0.1:%d" % mq_port,
            "-p 1883": "-p %d" % mq_port}
    broker_log = open(os.path.join(env.work, "mosquitto.log"), "wb")
    env.cleanups.append(broker_log.close)
    broker = env.run_command(env.one_command("mqtt-broker"), subs,
                             background=True, stdout=broker_log)

    env.cleanups.append(lambda: stop_process(broker))
    wait_for(lambda: port_open(mq_port) or broker.poll() is not None,
             "mosquitto on port %d" % mq_port, timeout=15)
    if broker.poll() is not None:
        raise Fatal("mosquitto exited with %s" % broker.returncode)

    config_subs = {k: v for k, v in subs.items()
                   if k in ("127.0.0.1:50051", "port: 1883")}
    gw, config, _ = env.gateway_from_block("mqtt-file-run", config_subs,
                                           "mqtt-file")
    registry = env.registry(config)
    env.wait_serving(gw, grpc_addr)
    gw.wait_log("mqtt: subscribed", "the gateway's MQTT subscription",
                timeout=20)

    out = os.path.join(env.work, "out", "mqtt-file")
    events_path = os.path.join(out, "events.jsonl")
    bulk_path = os.path.join(out, "telemetry.jsonl")
    for cmd in env.commands("mqtt-file-pub"):
        res, _ = env.run_command(cmd, subs)
        env.check.eq(res.returncode, 0, "mqtt-file-pub: %s exit status" % cmd)
    runs = env.run_sim("mqtt-file-sim", subs)
    # QoS 1 "acked" is the broker's PUBACK: wait for the gateway's files.
    want = 1 + int(runs[0][1]["acked_records"])
    wait_for(lambda: count_lines(events_path) + count_lines(bulk_path) >= want,
             "%d records in the files" % want, timeout=30)
    res, _ = env.run_command(env.one_command("mqtt-file-results"), subs)
    text = res.stdout.decode("utf-8", "replace")
    env.check.eq(res.returncode, 0, "mqtt-file-results: exit status")
    counts = {os.path.basename(p): int(n) for n, p in
              re.findall(r"^\s*(\d+) (\S+)$", text, re.M) if p != "total"}
    # examples/README.md says so:
    env.check.eq(counts, {"events.jsonl": 101, "telemetry.jsonl": 400},
                 "wc -l of the two files (as examples/README.md says)")

    runs += env.run_sim("readme-sim-mqtt", subs)
    want = 1 + sum(int(s["acked_records"]) for _, s in runs)
    wait_for(lambda: count_lines(events_path) + count_lines(bulk_path) >= want,
             "%d records in the files" % want, timeout=30)
    env.stop(gw, "mqtt-file gateway")
    err = gw.stderr_text()
    env.check.check("rejected message" not in err,
                    "mqtt-file: the gateway rejected messages")

    ev_lines = harness.read_sink_lines(events_path, env.check, "events.jsonl")
    bulk_lines = harness.read_sink_lines(bulk_path, env.check, "telemetry.jsonl")
    env.check.check(all(m == "events" for m, _, _ in ev_lines),
                    "events.jsonl: module ids")
    env.check.check(all(m == "telemetry" for m, _, _ in bulk_lines),
                    "telemetry.jsonl: module ids")
    hand = (b'{"eventType":"alarm","eventData":{"level":3}')
    hand_lines = [(k, d) for _, k, d in ev_lines if d.startswith(hand)]
    env.check.eq(len(hand_lines), 1, "the mosquitto_pub alarm")
    for k, d in hand_lines:
        obj = json.loads(d)
        env.check.eq((k, obj.get("homeId"), obj.get("originDeviceId"),
                      obj.get("originDeviceClass")),
                     ("1", 100, 1, "thermostat"), "the mosquitto_pub alarm")
    sim_events = collections.Counter()
    for i, (_, k, d) in enumerate(ev_lines):
        if d.startswith(hand):
            continue
        e = check_sim_event(env, "events.jsonl line %d" % (i + 1), k, d, registry)
        if e:
            sim_events[e] += 1
    got_bulk = collections.Counter((k, d) for _, k, d in bulk_lines)
    want_e, want_b = collections.Counter(), collections.Counter()
    for argv, summary in runs:
        e, b = sim_model(env, argv, int(summary["sent_messages"]))
        want_e += e
        want_b += b
    compare_sim(env, "mqtt files", sim_events, got_bulk, want_e, want_b)
    print("mqtt files: %d events, %d bulk records" % (len(ev_lines),
                                                      len(bulk_lines)))


if __name__ == "__main__":
    sys.exit(examples_env.main(__doc__, os.path.basename(__file__), scenario))
