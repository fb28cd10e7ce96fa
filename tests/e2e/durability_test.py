#!/usr/bin/python3
"""Durability of acknowledged records with a module spool (issue 5).

Usage: /usr/bin/python3 durability_test.py STREAMGATE STREAMGATE_TAIL SOURCE_DIR
           [--only name,name] [--keep]

Every scenario runs the real gateway with one module `dur` (home events of
type "dur", 100 per Publish message) and `spool: {dir, fsync: 10}`, and
counts the events by their (run tag, seq) in what the sink holds. Duplicates
are allowed and reported; an acknowledged event missing is a failure.

  file_midstream     file sink into a named pipe the test reads slowly (so
                     the spool holds a backlog); two clients stream as fast
                     as they can; the gateway gets kill -9 mid-stream; after
                     a restart every event a client saw acknowledged has
                     been read from the pipe.
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
  unwritable         the spool dir cannot be created (read-only tmpfs, or a
                     path under a regular file when mounting is refused):
                     start-up fails, exit non-zero, the error names the
                     module and the directory.
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
import shutil
import socket
import sys
import tempfile
import threading
import time
import traceback

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "lib"))
import harness  # noqa: E402
from harness import Checker, Fatal, Gateway  # noqa: E402
import durability  # noqa: E402
from durability import FaultProxy, Publisher, Tmpfs  # noqa: E402
import kinesis_peer  # noqa: E402
from tcp_forwarder import TcpForwarder  # noqa: E402

KINESIS_EVENTS = 20000
MODULE = "dur"

GATEWAY_CONFIG = """\
grpc: {{listen: "127.0.0.1:{port}"}}
shutdown_timeout_ms: 20000
modules:
  - id: dur
    subscribe_events: ["dur"]
    sink:
{sink}
    spool:
{spool}
"""

KINESIS_SINK = """\
      type: kinesis
      region: us-east-1
      stream_name: {stream}
      endpoint: "{url}"
      linger_ms: 10
      max_records: {max_records}
      max_in_flight: {in_flight}
      initial_backoff_ms: 50
      max_backoff_ms: 500
      record_ttl_s: 3600
      connect_timeout_ms: 1000
      request_timeout_ms: 10000
      dead_letter_path: "{dead}"
"""


def spool_yaml(dir_, extra=""):
    return '      dir: "%s"\n      fsync: 10\n%s' % (dir_, extra)


def kinesis_yaml(stream, url, dead, max_records=500, in_flight=8):
    return KINESIS_SINK.format(stream=stream, url=url, dead=dead,
                               max_records=max_records, in_flight=in_flight)


class Env:
    """What every scenario shares: binaries, work dir, kinesalite."""

    def __init__(self, binary, tail, src, work):
        self.binary, self.tail, self.src, self.work = binary, tail, src, work
        self.chk = Checker()
        self.kinesalite = None
        self.kclient = None
        self.cleanups = []
        self.starts = 0

    def need_kinesalite(self):
        if self.kinesalite is None:
            self.kinesalite = kinesis_peer.Kinesalite(self.src, self.work)
            self.cleanups.append(self.kinesalite.stop)
            self.kinesalite.start()
            self.kclient = kinesis_peer.KinesisClient(self.kinesalite.port)
        return self.kinesalite

    def stream(self, name):
        k = self.need_kinesalite()
        self.kclient.create_stream(name, 2)
        return k

    def proxy(self, name, plan):
        p = FaultProxy(self.src, self.work, self.kinesalite.port, plan, name)
        self.cleanups.append(p.stop)
        p.start()
        return p

    def start_gateway(self, sink, spool, wait=True):
        """A gateway on a fresh port; (gateway, channel)."""
        import grpc
        self.starts += 1
        port = harness.free_port()
        gw = Gateway(self.binary, self.work,
                     GATEWAY_CONFIG.format(port=port, sink=sink, spool=spool),
                     name="gw%d" % self.starts)
        gw.start()
        self.cleanups.append(gw.close_files)
        self.cleanups.append(gw.kill)
        if wait:
            # A channel made before the port listens waits seconds to
            # reconnect: make it once the port accepts.
            deadline = time.monotonic() + 20
            while not port_open(port):
                if gw.proc.poll() is not None or time.monotonic() > deadline:
                    break  # wait_serving reports it
                time.sleep(0.02)
        channel = grpc.insecure_channel("127.0.0.1:%d" % port)
        gw.channel = channel
        self.cleanups.append(channel.close)
        if wait:
            gw.wait_serving(channel)
        return gw, channel

    def kinesis_counts(self, stream, tag, url=None):
        return durability.kinesis_counts(
            self.tail, url or self.kinesalite.url, stream, tag)


def port_open(port):
    try:
        socket.create_connection(("127.0.0.1", port), 0.2).close()
        return True
    except OSError:
        return False


def kill9(gw, what):
    if gw.proc.poll() is not None:
        raise Fatal("%s: gateway already exited (%s) before kill -9\n%s" % (
            what, gw.proc.returncode, gw.stderr_tail()))
    gw.kill()  # SIGKILL, then wait
    print("%s: gateway killed with SIGKILL" % what, flush=True)


def stop_gracefully(env, gw, what):
    # An idle client connection holds the gateway's drain for seconds.
    gw.channel.close()
    gw.signal()
    rc = gw.wait_exit(60)
    env.chk.eq(rc, 0, "%s: gateway exit code after SIGTERM" % what)


def report(env, what, counts, expected):
    missing, dups, extra = durability.summarize(counts, expected)
    print("%s: %d acknowledged, %d missing, %d duplicate copies, %d "
          "unacknowledged present" % (what, len(expected), len(missing), dups,
                                      extra), flush=True)
    env.chk.check(not missing, "%s: %d acknowledged events missing (first: "
                  "%s)" % (what, len(missing), missing[:10]))


def check_no_dead_letters(env, path, what):
    size = os.path.getsize(path) if os.path.exists(path) else 0
    env.chk.eq(size, 0, "%s: dead-letter file bytes" % what)


def stream_and_kill(env, gw, channel, tag, kill_after, what, clients=2):
    """Clients stream until the gateway is killed once `kill_after` events
    are acknowledged. Returns the acknowledged seqs."""
    pubs = [Publisher(channel, tag) for _ in range(clients)]
    stop = threading.Event()
    errors = [None] * clients

    def run(k):
        errors[k] = pubs[k].stream_until_error(k * 100000000, stop)

    threads = [threading.Thread(target=run, args=(k,)) for k in
               range(clients)]
    for t in threads:
        t.start()
    deadline = time.monotonic() + 60
    try:
        while sum(len(p.acked) for p in pubs) < kill_after:
            if time.monotonic() > deadline:
                raise Fatal("%s: only %d events acknowledged in 60 s" % (
                    what, sum(len(p.acked) for p in pubs)))
            if gw.proc.poll() is not None:
                raise Fatal("%s: gateway died\n%s" % (what, gw.stderr_tail()))
            time.sleep(0.01)
        kill9(gw, what)
    finally:
        stop.set()
        for t in threads:
            t.join(30)
    acked = set()
    for p in pubs:
        acked |= p.acked.snapshot()
        env.chk.check(not p.refusals, "%s: refusals %s" % (what,
                                                           dict(p.refusals)))
    env.chk.check(all(e is not None for e in errors),
                  "%s: every stream ended by the kill" % what)
    print("%s: %d events acknowledged before the kill" % (what, len(acked)),
          flush=True)
    return acked


# ------------------------------------------------------------ scenarios --

def file_midstream(env):
    """The file sink writes into a named pipe read slowly, so a backlog
    waits in the spool when the gateway is killed."""
    what = "file_midstream"
    spool = os.path.join(env.work, "spool-file")
    fifo = durability.FifoReader(os.path.join(env.work, "file-sink.fifo"))
    env.cleanups.append(fifo.close)
    fifo.bytes_per_s = 256 * 1024
    sink = "      type: file\n      path: \"%s\"\n" % fifo.path
    gw, ch = env.start_gateway(sink, spool_yaml(spool))
    acked = stream_and_kill(env, gw, ch, "f1", 30000, what)
    fifo.bytes_per_s = None
    fifo.wait_eofs(1)
    delivered = fifo.counts("f1")
    print("%s: %d of the acknowledged read from the sink before the kill "
          "(%d torn lines dropped)" % (what, sum(1 for s in acked
                                                 if delivered[s]), fifo.torn),
          flush=True)
    gw2, _ = env.start_gateway(sink, spool_yaml(spool))
    durability.wait_all_present(lambda: fifo.counts("f1"), acked, 60, what)
    stop_gracefully(env, gw2, what)
    report(env, what, fifo.counts("f1"), acked)


def kinesis_outage(env):
    what = "kinesis_outage"
    stream = "dur-outage"
    env.stream(stream)
    spool = os.path.join(env.work, "spool-outage")
    dead = os.path.join(env.work, "dead-outage.jsonl")
    closed = "http://127.0.0.1:%d" % harness.free_port()
    gw, ch = env.start_gateway(kinesis_yaml(stream, closed, dead),
                               spool_yaml(spool))
    pub = Publisher(ch, "k1")
    pub.publish_exact(0, KINESIS_EVENTS)
    acked = pub.acked.snapshot()
    env.chk.eq(len(acked), KINESIS_EVENTS, "%s: acknowledged" % what)
    kill9(gw, what)
    proxy = env.proxy("proxy-outage", [])
    gw2, _ = env.start_gateway(kinesis_yaml(stream, proxy.url, dead),
                               spool_yaml(spool))
    durability.wait_all_present(
        lambda: env.kinesis_counts(stream, "k1"), acked, 60, what)
    stop_gracefully(env, gw2, what)
    report(env, what, env.kinesis_counts(stream, "k1"), acked)
    check_no_dead_letters(env, dead, what)


def kinesis_replay(env):
    what = "kinesis_replay"
    stream = "dur-replay"
    env.stream(stream)
    spool = os.path.join(env.work, "spool-replay")
    dead = os.path.join(env.work, "dead-replay.jsonl")
    closed = "http://127.0.0.1:%d" % harness.free_port()
    gw, ch = env.start_gateway(kinesis_yaml(stream, closed, dead),
                               spool_yaml(spool))
    pub = Publisher(ch, "k2")
    pub.publish_exact(0, KINESIS_EVENTS)
    acked = pub.acked.snapshot()
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
    durability.wait_all_present(
        lambda: env.kinesis_counts(stream, "k2"), acked, 60, what)
    stop_gracefully(env, gw3, what)
    report(env, what, env.kinesis_counts(stream, "k2"), acked)
    check_no_dead_letters(env, dead, what)


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
    durability.wait_all_present(
        lambda: env.kinesis_counts(stream, "k3"), acked, 60, what)
    stop_gracefully(env, gw2, what)
    report(env, what, env.kinesis_counts(stream, "k3"), acked)
    check_no_dead_letters(env, dead, what)


def unwritable(env):
    what = "unwritable"
    ro = Tmpfs(os.path.join(env.work, "ro"), "64k", read_only=True)
    env.cleanups.append(ro.unmount)
    if ro.mounted:
        spool = os.path.join(ro.path, "spool")
        print("%s: spool dir on a read-only tmpfs" % what, flush=True)
    else:
        blocker = os.path.join(env.work, "not-a-dir")
        with open(blocker, "w") as f:
            f.write("x")
        spool = os.path.join(blocker, "spool")
        print("%s: mount refused (%s); spool dir under a regular file" % (
            what, ro.why), flush=True)
    out = os.path.join(env.work, "unwritable.jsonl")
    gw, _ = env.start_gateway("      type: file\n      path: \"%s\"\n" % out,
                              spool_yaml(spool), wait=False)
    try:
        rc = gw.proc.wait(timeout=20)
    except Exception:
        raise Fatal("%s: gateway still running with an unusable spool dir"
                    % what)
    env.chk.check(rc != 0, "%s: exit code %s is non-zero" % (what, rc))
    with open(gw.stderr_path, "rb") as f:
        err = f.read().decode("utf-8", "replace")
    print("%s: gateway said: %s" % (what, err.strip().splitlines()[-1:]),
          flush=True)
    env.chk.check("'%s'" % MODULE in err or "module %s" % MODULE in err,
                  "%s: error names module %s: %r" % (what, MODULE, err[-500:]))
    env.chk.check(spool in err, "%s: error names the directory %s: %r" % (
        what, spool, err[-500:]))


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
    durability.wait_all_present(
        lambda: env.kinesis_counts(stream, "d1"), acked, 60, what)
    stop_gracefully(env, gw, what)
    report(env, what, env.kinesis_counts(stream, "d1"), acked)
    check_no_dead_letters(env, dead, what)


SCENARIOS = [("file_midstream", file_midstream),
             ("unwritable", unwritable),
             ("kinesis_outage", kinesis_outage),
             ("kinesis_replay", kinesis_replay),
             ("kinesis_midstream", kinesis_midstream),
             ("disk_full", disk_full)]


def main():
    args = sys.argv[1:]
    only = None
    keep = "--keep" in args
    if keep:
        args.remove("--keep")
    if "--only" in args:
        i = args.index("--only")
        only = set(args[i + 1].split(","))
        del args[i:i + 2]
    if len(args) != 3:
        print(__doc__)
        return 2
    binary, tail, src = args
    for b in (binary, tail):
        if not os.access(b, os.X_OK):
            print("FAIL: %s is not an executable" % b)
            return 1
    work = tempfile.mkdtemp(prefix="streamgate-durability-")
    # Dummy static credentials for the gateway and streamgate-tail
    # (kinesalite checks only their form).
    env_vars = kinesis_peer.aws_env()
    os.environ.clear()
    os.environ.update(env_vars)
    env = Env(binary, tail, src, work)
    failed = False
    try:
        harness.generate_stubs(src, os.path.join(work, "stubs"))
        for name, fn in SCENARIOS:
            if only is not None and name not in only:
                continue
            t0 = time.monotonic()
            print("== %s" % name, flush=True)
            before = len(env.chk.failures)
            try:
                fn(env)
            except Fatal as e:
                env.chk.check(False, "%s: %s" % (name, e))
            print("== %s: %s (%.1f s)" % (
                name, "ok" if len(env.chk.failures) == before else "FAILED",
                time.monotonic() - t0), flush=True)
    except Fatal as e:
        print("FAIL: %s" % e)
        failed = True
    except Exception:
        traceback.print_exc()
        failed = True
    finally:
        for c in reversed(env.cleanups):
            try:
                c()
            except Exception:
                pass
        if failed or env.chk.failures or keep:
            print("work dir kept: %s" % work)
        else:
            shutil.rmtree(work, ignore_errors=True)
    if env.chk.failures:
        print("FAILED: %d checks (%d passed)" % (len(env.chk.failures),
                                                 env.chk.passed))
        return 1
    if failed:
        return 1
    print("PASS: %d checks" % env.chk.passed)
    return 0


if __name__ == "__main__":
    sys.exit(main())
