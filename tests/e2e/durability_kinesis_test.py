#!/usr/bin/python3
"""Durability of acknowledged records with a module spool (issue 5): the
Kinesis sink on kinesalite (tests/node_modules).

Usage: /usr/bin/python3 durability_kinesis_test.py STREAMGATE STREAMGATE_TAIL SOURCE_DIR
           [--only name,name] [--keep]

One module `dur` with a spool, events counted by (run tag, seq) in the sink
as lib/durability_run.py says; an acknowledged event missing is a failure.

  kinesis_outage     Kinesis endpoint down (a closed port); 20,000 events
                     acknowledged; kill -9; restart with the endpoint back
                     (kinesalite through the fault proxy, pass-through): all
                     20,000 are in kinesalite.
  kinesis_replay     as kinesis_outage, but the restarted gateway gets
                     kill -9 while replaying (after the proxy saw a few
                     PutRecords); a third start delivers the rest.
  kinesis_midstream  kinesalite reachable; kill -9 in the middle of a fast
                     stream; after a restart every acknowledged event is in
                     kinesalite.
  disk_full          the spool on a 2 MiB tmpfs (or, when mounting is
                     refused, max_bytes 1 MiB + when_full: reject) with the
                     Kinesis endpoint down: calls are refused with
                     RESOURCE_EXHAUSTED/UNAVAILABLE and a message naming the
                     module; the endpoint comes back on the same address,
                     delivery frees the spool and calls are accepted again;
                     after SIGTERM every acknowledged event is in kinesalite.

The Kinesis scenarios need KinesisSink::Deliver (a batch is released from
the spool only once delivered); without it, records handed to the sink's
memory are lost on kill -9 and those scenarios fail. Exit 0 = pass.
"""

import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "lib"))
import durability  # noqa: E402
import harness  # noqa: E402
from durability import Publisher, Tmpfs  # noqa: E402
from durability_run import (KINESIS_EVENTS, MODULE, check_no_dead_letters,  # noqa: E402
                            kill9, kinesis_yaml, main, report, spool_yaml,
                            stop_gracefully, stream_and_kill)
from harness import Fatal  # noqa: E402
from tcp_forwarder import TcpForwarder  # noqa: E402


def all_delivered(env, gw, what, stream, tag, acked, dead):
    """Waits until every acknowledged event of run `tag` is in the stream,
    stops the gateway with SIGTERM (exit 0) and reports what is missing;
    nothing may be dead-lettered."""
    durability.wait_all_present(
        lambda: env.kinesis_counts(stream, tag), acked, 60, what)
    stop_gracefully(env, gw, what)
    report(env, what, env.kinesis_counts(stream, tag), acked)
    check_no_dead_letters(env, dead, what)


def acked_while_down(env, name, tag):
    """A gateway whose Kinesis endpoint is down (a closed port) gets
    KINESIS_EVENTS events acknowledged. Returns (gateway, stream, spool dir,
    dead-letter path, the acknowledged seqs)."""
    stream = "dur-" + name
    env.stream(stream)
    spool = os.path.join(env.work, "spool-" + name)
    dead = os.path.join(env.work, "dead-%s.jsonl" % name)
    closed = "http://127.0.0.1:%d" % harness.free_port()
    gw, ch = env.start_gateway(kinesis_yaml(stream, closed, dead),
                               spool_yaml(spool))
    pub = Publisher(ch, tag)
    pub.publish_exact(0, KINESIS_EVENTS)
    return gw, stream, spool, dead, pub.acked.snapshot()


def kinesis_outage(env):
    what = "kinesis_outage"
    gw, stream, spool, dead, acked = acked_while_down(env, "outage", "k1")
    env.chk.eq(len(acked), KINESIS_EVENTS, "%s: acknowledged" % what)
    kill9(gw, what)
    proxy = env.proxy("proxy-outage", [])
    gw2, _ = env.start_gateway(kinesis_yaml(stream, proxy.url, dead),
                               spool_yaml(spool))
    all_delivered(env, gw2, what, stream, "k1", acked, dead)


def kinesis_replay(env):
    what = "kinesis_replay"
    gw, stream, spool, dead, acked = acked_while_down(env, "replay", "k2")
    kill9(gw, what + " (outage)")
    # Small requests, few in flight: the replay takes ~200 requests, and the
    # kill lands after the proxy has passed the 5th.
    proxy = env.proxy("proxy-replay", ["pass"] * 5000)
    gw2, _ = env.start_gateway(
        kinesis_yaml(stream, proxy.url, dead, max_records=100, in_flight=2),
        spool_yaml(spool))
    deadline = time.monotonic() + 60
    while proxy.steps_applied() < 5:
        if time.monotonic() > deadline or gw2.proc.poll() is not None:
            raise Fatal("%s: replay did not start (%d PutRecords)\n%s" % (
                what, proxy.steps_applied(), gw2.stderr_tail()))
        time.sleep(0.005)
    kill9(gw2, what + " (replay)")
    partial = env.kinesis_counts(stream, "k2")
    present = sum(1 for s in acked if partial[s])
    print("%s: %d of %d in kinesalite when the replay was killed" % (
        what, present, len(acked)), flush=True)
    env.chk.check(0 < present < len(acked),
                  "%s: the kill landed during the replay (%d of %d present)"
                  % (what, present, len(acked)))
    gw3, _ = env.start_gateway(kinesis_yaml(stream, proxy.url, dead),
                               spool_yaml(spool))
    all_delivered(env, gw3, what, stream, "k2", acked, dead)


def kinesis_midstream(env):
    what = "kinesis_midstream"
    stream = "dur-midstream"
    env.stream(stream)
    spool = os.path.join(env.work, "spool-midstream")
    dead = os.path.join(env.work, "dead-midstream.jsonl")
    proxy = env.proxy("proxy-midstream", [])
    sink = kinesis_yaml(stream, proxy.url, dead)
    gw, ch = env.start_gateway(sink, spool_yaml(spool))
    acked = stream_and_kill(env, gw, ch, "k3", KINESIS_EVENTS, what)
    gw2, _ = env.start_gateway(sink, spool_yaml(spool))
    all_delivered(env, gw2, what, stream, "k3", acked, dead)


def disk_full(env):
    what = "disk_full"
    stream = "dur-full"
    env.stream(stream)
    dead = os.path.join(env.work, "dead-full.jsonl")
    mnt = Tmpfs(os.path.join(env.work, "small"), "2m")
    env.cleanups.append(mnt.unmount)
    # Default segments (64 MiB) on a 2 MiB disk: the first segment is still
    # the one being written when the disk fills; the spool must seal it so
    # that, once delivered, it is deleted and space returns.
    extra = ""
    if mnt.mounted:
        spool = os.path.join(mnt.path, "spool")
        print("%s: spool on a 2 MiB tmpfs" % what, flush=True)
    else:
        spool = os.path.join(env.work, "spool-full")
        extra += ("      max_bytes: 1048576\n      when_full: reject\n"
                  "      segment_bytes: 131072\n")
        print("%s: mount refused (%s); max_bytes 1 MiB, when_full: reject" %
              (what, mnt.why), flush=True)
    port = harness.free_port()  # down now, forwarded to kinesalite later
    url = "http://127.0.0.1:%d" % port
    gw, ch = env.start_gateway(kinesis_yaml(stream, url, dead),
                               spool_yaml(spool, extra))
    pub = Publisher(ch, "d1")
    first = 0
    refused = 0
    deadline = time.monotonic() + 60
    while refused < 20:
        if time.monotonic() > deadline:
            raise Fatal("%s: no call refused in 60 s (%d acknowledged)" % (
                what, len(pub.acked)))
        firsts = list(range(first, first + 100 * 50, 100))
        first += 100 * 50
        answered, error = pub.run_stream(firsts, window=4)
        if error is not None:
            raise Fatal("%s: stream failed: %s %s\n%s" % (
                what, error.code(), error.details(), gw.stderr_tail()))
        refused += sum(1 for c, _ in answered.values() if c != 0)
    acked_full = len(pub.acked)
    print("%s: %d acknowledged before the spool filled; refusals: %s" % (
        what, acked_full, dict(pub.refusals)), flush=True)
    for (code, msg), n in pub.refusals.items():
        env.chk.check(code in (durability.RESOURCE_EXHAUSTED, 14),
                      "%s: refusal code %d (%s) is RESOURCE_EXHAUSTED or "
                      "UNAVAILABLE" % (what, code, msg))
        env.chk.check(msg.count("module '%s'" % MODULE) == 1 and
                      ("No space left" in msg or "full" in msg),
                      "%s: refusal message names the module and the cause: "
                      "%r" % (what, msg))
    env.chk.check(gw.proc.poll() is None, "%s: gateway still running" % what)
    # The endpoint comes back at the same address; delivery frees the spool.
    fwd = TcpForwarder(port, env.kinesalite.port)
    fwd.start()
    env.cleanups.append(fwd.stop)
    recovered = False
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        answered, error = pub.run_stream([first], window=1)
        first += 100
        if error is None and answered and \
                list(answered.values())[0][0] == 0:
            recovered = True
            break
        time.sleep(0.5)
    env.chk.check(recovered, "%s: calls accepted again once the endpoint "
                  "is back" % what)
    if recovered:
        pub.publish_exact(first, 5000)
    acked = pub.acked.snapshot()
    # A spooled module stops reading at SIGTERM (the rest waits on disk for
    # the next start), so wait for the delivery first.
    all_delivered(env, gw, what, stream, "d1", acked, dead)


SCENARIOS = [("kinesis_outage", kinesis_outage),
             ("kinesis_replay", kinesis_replay),
             ("kinesis_midstream", kinesis_midstream),
             ("disk_full", disk_full)]


if __name__ == "__main__":
    sys.exit(main(__doc__, SCENARIOS))
