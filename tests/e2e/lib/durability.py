"""Helpers for the spool durability tests (tests/e2e/durability_*_test.py):
numbered events, Publish-stream clients that record exactly which events the
gateway acknowledged, readers that count those events in a file sink or in a
kinesalite stream, the Kinesis fault proxy (tests/fakes), and small
filesystems (tmpfs mounts, when the test may mount).

Threading: Publisher may be used from several threads at once (each call
runs its own stream); the other classes are single-threaded.
"""

import json
import os
import re
import subprocess
import threading
import time
from collections import Counter

import harness
from harness import Fatal
import kinesis_peer
import peers

OK = 0
RESOURCE_EXHAUSTED = 8
HOMES = 8  # home ids 1..HOMES: home events, no device registry needed


# ------------------------------------------------------------- events --

def event_id(data):
    """(tag, seq) of a record written by Publisher, or None for another."""
    try:
        ev = json.loads(data)
        d = ev["eventData"]
        return d["t"], int(d["s"])
    except (ValueError, KeyError, TypeError):
        return None


def count_ids(datas, tag):
    """Counter seq -> copies of the records of run `tag` among `datas`."""
    out = Counter()
    for data in datas:
        ident = event_id(data)
        if ident is not None and ident[0] == tag:
            out[ident[1]] += 1
    return out


class Acked:
    """The seqs a client saw acknowledged (thread-safe)."""

    def __init__(self):
        self.seqs = set()
        self.lock = threading.Lock()

    def add(self, seqs):
        with self.lock:
            self.seqs.update(seqs)

    def __len__(self):
        with self.lock:
            return len(self.seqs)

    def snapshot(self):
        with self.lock:
            return set(self.seqs)


class Publisher:
    """Sends numbered home events, `batch` per Publish message, and records
    the seqs of every message answered OK."""

    def __init__(self, channel, tag, batch=100):
        from streamgate.v1 import gateway_pb2, gateway_pb2_grpc
        self.pb = gateway_pb2
        self.stub = gateway_pb2_grpc.GatewayStub(channel)
        self.tag = tag
        self.batch = batch
        self.acked = Acked()
        self.refusals = Counter()   # (code, message) -> messages refused

    def request(self, rid, first):
        evs = []
        for s in range(first, first + self.batch):
            ev = self.pb.Event(event_type="dur", home_id=1 + s % HOMES)
            ev.event_data.update({"t": self.tag, "s": s})
            evs.append(ev)
        return self.pb.PublishRequest(id=rid,
                                      batch=self.pb.EventBatch(events=evs))

    def run_stream(self, firsts, window=16, timeout=120.0, stop=None):
        """Sends one message per first seq in `firsts` on one stream, at most
        `window` unanswered. Returns (answered {first: (code, message)},
        error) where error is the grpc.RpcError that ended the stream, if
        any. OK answers go into self.acked at once."""
        import grpc
        sem = threading.Semaphore(window)
        ended = threading.Event()
        by_id = {}

        def gen():
            for n, first in enumerate(firsts):
                while not sem.acquire(timeout=0.1):
                    if ended.is_set() or (stop is not None and stop.is_set()):
                        return
                if ended.is_set() or (stop is not None and stop.is_set()):
                    return
                by_id[n + 1] = first
                yield self.request(n + 1, first)

        answered = {}
        error = None
        call = self.stub.Publish(gen(), timeout=timeout)
        try:
            for resp in call:
                sem.release()
                first = by_id.get(resp.id)
                if first is None or first in answered:
                    raise Fatal("%s: unexpected or repeated response id %d" %
                                (self.tag, resp.id))
                answered[first] = (resp.code, resp.message)
                if resp.code == OK:
                    if resp.records != self.batch:
                        raise Fatal("%s: message %d acknowledged %d records, "
                                    "sent %d" % (self.tag, resp.id,
                                                 resp.records, self.batch))
                    self.acked.add(range(first, first + self.batch))
                else:
                    self.refusals[(resp.code, resp.message)] += 1
        except grpc.RpcError as err:
            error = err
        finally:
            ended.set()
        return answered, error

    def publish_exact(self, first, count, window=16, rounds=40):
        """Gets events first..first+count-1 acknowledged, re-sending messages
        refused with RESOURCE_EXHAUSTED. Any other outcome is fatal."""
        todo = list(range(first, first + count, self.batch))
        for _ in range(rounds):
            if not todo:
                return
            answered, error = self.run_stream(todo, window)
            if error is not None:
                raise Fatal("%s: stream failed: %s %s" % (
                    self.tag, error.code(), error.details()))
            retry = []
            for f in todo:
                code, msg = answered.get(f, (None, "no answer"))
                if code == OK:
                    continue
                if code != RESOURCE_EXHAUSTED:
                    raise Fatal("%s: message for seq %d answered %s: %s" %
                                (self.tag, f, code, msg))
                retry.append(f)
            todo = retry
            if todo:
                time.sleep(0.2)
        raise Fatal("%s: %d messages still refused" % (self.tag, len(todo)))

    def stream_until_error(self, first, stop, window=32):
        """Streams messages from seq `first` upwards until the stream dies
        (the gateway was killed) or `stop` is set. Returns the error."""
        def firsts():
            f = first
            while True:
                yield f
                f += self.batch
        _, error = self.run_stream(firsts(), window, timeout=300.0, stop=stop)
        return error


# ------------------------------------------------------------ readers --

def file_sink_counts(path, tag):
    """Counter of the run's seqs in a file sink (lines parsed loosely: the
    exact shape is checked by the other e2e tests)."""
    datas = []
    if not os.path.exists(path):
        return Counter()
    with open(path, "rb") as f:
        for line in f:
            if not line.endswith(b"\n"):
                break  # a line being written right now
            m = harness.SINK_LINE.match(line[:-1])
            if m is None:
                raise Fatal("%s: malformed line %r" % (path, line[:200]))
            import base64
            datas.append(base64.b64decode(m.group(3)))
    return count_ids(datas, tag)


def kinesis_counts(tail_binary, url, stream, tag):
    records = kinesis_peer.read_with_tail(tail_binary, url, stream)
    return count_ids([r[3] for r in records], tag)


def wait_all_present(read_counts, expected, timeout, what):
    """Polls read_counts() until every seq of `expected` is there. Returns
    the last Counter (the caller checks and reports what is missing)."""
    deadline = time.monotonic() + timeout
    counts = Counter()
    while True:
        counts = read_counts()
        missing = sum(1 for s in expected if counts[s] == 0)
        if missing == 0 or time.monotonic() > deadline:
            print("%s: %d of %d acknowledged present" % (
                what, len(expected) - missing, len(expected)), flush=True)
            return counts
        time.sleep(0.5)


def summarize(counts, expected):
    """(missing, duplicate copies, unacknowledged-but-present) for a run."""
    missing = sorted(s for s in expected if counts[s] == 0)
    dups = sum(c - 1 for c in counts.values() if c > 1)
    extra = sum(1 for s in counts if s not in expected)
    return missing, dups, extra


# -------------------------------------------------------- fault proxy --

class FaultProxy:
    """tests/fakes/kinesis_fault_proxy.js in front of kinesalite, with a
    plan (see that file); an empty plan passes everything through."""

    def __init__(self, src_dir, work_dir, upstream_port, plan, name):
        self.script = os.path.join(src_dir, "tests", "fakes",
                                   "kinesis_fault_proxy.js")
        self.env = dict(os.environ,
                        NODE_PATH=os.path.join(src_dir, "tests",
                                               "node_modules"))
        self.log_path = os.path.join(work_dir, name + ".log")
        self.upstream_port = upstream_port
        self.plan = plan
        self.proc = None
        self.port = None

    def start(self, timeout=15.0):
        self._log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(
            ["node", self.script, str(self.upstream_port),
             json.dumps(self.plan)], stdout=subprocess.PIPE,
            stderr=self._log, stdin=subprocess.DEVNULL, env=self.env)
        line = b""
        deadline = time.monotonic() + timeout
        # The first stdout line is "PORT <n>".
        while time.monotonic() < deadline:
            line = self.proc.stdout.readline()
            if line.startswith(b"PORT "):
                self.port = int(line.split()[1])
                self.url = "http://127.0.0.1:%d" % self.port
                return
            if self.proc.poll() is not None:
                break
        raise Fatal("fault proxy did not start: %r" % line)

    def steps_applied(self):
        try:
            with open(self.log_path, "rb") as f:
                return len(re.findall(rb"kinesis_fault_proxy: step \d+:",
                                      f.read()))
        except OSError:
            return 0

    def stop(self):
        peers.stop_process(self.proc)
        if self.proc is not None and self.proc.stdout:
            self.proc.stdout.close()
        if getattr(self, "_log", None):
            self._log.close()


# -------------------------------------------------------- filesystems --

class Tmpfs:
    """A tmpfs of `size` mounted on `path` (needs root or CAP_SYS_ADMIN).
    mounted is False when the mount was refused; `why` says why."""

    def __init__(self, path, size, read_only=False):
        self.path = path
        os.makedirs(path, exist_ok=True)
        opts = "size=%s" % size + (",ro" if read_only else "")
        res = subprocess.run(["mount", "-t", "tmpfs", "-o", opts, "tmpfs",
                              path], capture_output=True, text=True)
        self.mounted = res.returncode == 0
        self.why = res.stderr.strip() or "exit %d" % res.returncode

    def unmount(self):
        if self.mounted:
            subprocess.run(["umount", "-l", self.path], capture_output=True)
            self.mounted = False


# ----------------------------------------------------------- fifo sink --

class FifoReader:
    """A named pipe for a file sink's `path`, read by a thread at a chosen
    pace: a slow reader makes the sink block, so a backlog builds in the
    module's queue (a spool) while clients are still acknowledged. What the
    thread reads counts as delivered. A line cut by a killed writer is
    dropped when the writer goes away (EOF) and counted in `torn`."""

    def __init__(self, path):
        self.path = path
        os.mkfifo(path)
        # Non-blocking read end first, so the gateway's open for writing
        # does not block; reads then block in select().
        self.fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
        self.data = bytearray()
        self.lock = threading.Lock()
        self.bytes_per_s = None  # None: as fast as possible
        self.eofs = 0
        self.torn = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self):
        import select
        writer_seen = False
        while not self._stop.is_set():
            r, _, _ = select.select([self.fd], [], [], 0.05)
            if not r:
                continue
            rate = self.bytes_per_s
            try:
                chunk = os.read(self.fd, 65536 if rate is None else
                                max(1, min(65536, rate // 50)))
            except BlockingIOError:
                continue
            if not chunk:
                # No writer: a killed gateway, or none yet.
                with self.lock:
                    if writer_seen:
                        self.eofs += 1
                        writer_seen = False
                    cut = len(self.data) - (self.data.rfind(b"\n") + 1)
                    if cut:
                        del self.data[-cut:]
                        self.torn += 1
                time.sleep(0.01)
                continue
            writer_seen = True
            with self.lock:
                self.data += chunk
            if rate is not None:
                time.sleep(len(chunk) / rate)

    def wait_eofs(self, n, timeout=20.0):
        """Waits until the writer went away n times in all."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if self.eofs >= n:
                    return
            time.sleep(0.01)
        raise Fatal("fifo %s: writer still open after %.0f s" % (self.path,
                                                                 timeout))

    def counts(self, tag):
        import base64
        with self.lock:
            raw = bytes(self.data)
        datas = []
        for line in raw.split(b"\n")[:-1]:
            m = harness.SINK_LINE.match(line)
            if m is None:
                raise Fatal("%s: malformed line %r" % (self.path, line[:200]))
            datas.append(base64.b64decode(m.group(3)))
        return count_ids(datas, tag)

    def close(self):
        self._stop.set()
        self._thread.join(5)
        os.close(self.fd)
