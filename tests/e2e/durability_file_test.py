#!/usr/bin/python3
"""Durability of acknowledged records with a module spool (issue 5): the
file sink, and a spool dir that cannot be used.

Usage: /usr/bin/python3 durability_file_test.py STREAMGATE STREAMGATE_TAIL SOURCE_DIR
           [--only name,name] [--keep]

One module `dur` with a spool, events counted by (run tag, seq) in the sink
as lib/durability_run.py says; an acknowledged event missing is a failure.

  file_midstream     file sink into a named pipe the test reads slowly (so
                     the spool holds a backlog); two clients stream as fast
                     as they can; the gateway gets kill -9 mid-stream; after
                     a restart every event a client saw acknowledged has
                     been read from the pipe.
  unwritable         the spool dir cannot be created (read-only tmpfs, or a
                     path under a regular file when mounting is refused):
                     start-up fails, exit non-zero, the error names the
                     module and the directory.
Exit 0 = pass.
"""

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "lib"))
import durability  # noqa: E402
from durability import Tmpfs  # noqa: E402
from durability_run import (MODULE, main, report, spool_yaml,  # noqa: E402
                            stop_gracefully, stream_and_kill)
from harness import Fatal  # noqa: E402


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


SCENARIOS = [("file_midstream", file_midstream),
             ("unwritable", unwritable)]


if __name__ == "__main__":
    sys.exit(main(__doc__, SCENARIOS))
