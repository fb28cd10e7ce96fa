"""The spool durability scenarios' runner and shared steps
(durability_file_test.py, durability_kinesis_test.py): the gateway config
(one module `dur`, home events of type "dur", a spool with fsync: 10),
gateways started on fresh ports, kill -9 mid-stream, reports of what is
missing, and main(). The clients and readers are in durability.py.

Every scenario counts the events by their (run tag, seq) in what the sink
holds. Duplicates are allowed and reported; an acknowledged event missing is
a failure. Single-threaded, except that stream_and_kill runs one thread per
client.
"""

import os
import shutil
import sys
import tempfile
import threading
import time
import traceback

import durability
import harness
import kinesis_peer
from durability import FaultProxy, Publisher
from harness import Checker, Fatal, Gateway

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
            channel = gw.serving_channel(port)
        else:
            channel = grpc.insecure_channel("127.0.0.1:%d" % port)
        gw.channel = channel
        self.cleanups.append(channel.close)
        return gw, channel

    def kinesis_counts(self, stream, tag, url=None):
        return durability.kinesis_counts(
            self.tail, url or self.kinesalite.url, stream, tag)


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


def main(doc, scenarios):
    """Runs the (name, fn(env)) scenarios, all or those of --only; returns
    the exit code. Usage: SCRIPT STREAMGATE STREAMGATE_TAIL SOURCE_DIR
    [--only name,name] [--keep]."""
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
        print(doc)
        return 2
    binary, tail, src = args
    for b in (binary, tail):
        if not os.access(b, os.X_OK):
            print("FAIL: %s is not an executable" % b)
            return 1
    unknown = sorted((only or set()) - {name for name, _ in scenarios})
    if unknown:
        print("unknown scenario(s) %s; known: %s" % (
            unknown, ", ".join(name for name, _ in scenarios)))
        return 2
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
        for name, fn in scenarios:
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

