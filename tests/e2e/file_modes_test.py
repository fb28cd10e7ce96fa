#!/usr/bin/env python3
"""Issue 15 item 7, end to end: the files the gateway creates are 0640 and
never followed through a symlink.

1. A gateway (umask 022) with a file sink and a root dead_letter: after one
   accepted and one refused event, the sink file and the dead-letter file
   are mode 0640 (they were 0644).
2. The sink path replaced by a symlink to another file: the gateway refuses
   to start, naming the path, and the link's target is unchanged (records
   were appended into it).

Usage: file_modes_test.py STREAMGATE_BINARY SOURCE_DIR
"""

import os
import stat
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
import harness  # noqa: E402

CONFIG = """
grpc: {{listen: "127.0.0.1:{port}"}}
dead_letter: {{path: "{dir}/dead/dl.jsonl"}}
modules:
  - id: all
    subscribe_events: ["*"]
    sink: {{type: file, path: "{dir}/out.jsonl"}}
"""


def mode(path):
    return stat.S_IMODE(os.lstat(path).st_mode)


def main():
    binary, src = sys.argv[1], sys.argv[2]
    work = tempfile.mkdtemp(prefix="sg-file-modes-")
    harness.generate_stubs(src, os.path.join(work, "stubs"))
    import grpc
    from streamgate.v1 import gateway_pb2 as pb, gateway_pb2_grpc as rpc
    chk = harness.Checker()
    os.umask(0o022)
    out = os.path.join(work, "out.jsonl")
    dead = os.path.join(work, "dead", "dl.jsonl")

    def body():
        port = harness.free_port()
        gw = harness.Gateway(binary, work, CONFIG.format(port=port, dir=work),
                             name="gw1")
        gw.start()
        ch = gw.serving_channel(port)
        stub = rpc.GatewayStub(ch)
        chk.eq(stub.PublishEvent(pb.Event(event_type="ok", home_id=7),
                                 timeout=10).records, 1, "accepted event")
        try:
            stub.PublishEvent(pb.Event(event_type="", home_id=7), timeout=10)
            chk.check(False, "an empty event_type was accepted")
        except grpc.RpcError as e:
            chk.eq(e.code(), grpc.StatusCode.INVALID_ARGUMENT, "refused event")
        ch.close()
        chk.eq(gw.stop(), 0, "exit code after SIGTERM")
        chk.eq(oct(mode(out)), oct(0o640), "file sink's file mode")
        chk.eq(oct(mode(dead)), oct(0o640), "dead-letter file mode")

        precious = os.path.join(work, "precious")
        with open(precious, "w") as f:
            f.write("not the gateway's\n")
        os.remove(out)
        os.symlink(precious, out)
        gw = harness.Gateway(binary, work, CONFIG.format(
            port=harness.free_port(), dir=work), name="gw2")
        gw.start()
        try:
            rc = gw.proc.wait(timeout=20)
        except Exception:
            gw.kill()
            rc = "still running with a symlinked sink path"
        gw.close_files()
        chk.check(rc not in (0, "still running with a symlinked sink path"),
                  "the gateway refuses to start (exit %r)" % (rc,))
        err = gw.stderr_text()
        chk.check("cannot open " + out in err,
                  "the error names the path:\n" + err[-500:])
        with open(precious) as f:
            chk.eq(f.read(), "not the gateway's\n", "the link's target")
        chk.check(os.path.islink(out), "the link itself is left alone")

    return harness.run_checks("file_modes_test", work, chk, body)


if __name__ == "__main__":
    sys.exit(main())
