#!/usr/bin/env python3
"""Issue 15 item 1c: the gRPC bounds the gateway sets are in force on the
wire, seen with raw HTTP/2 frames on loopback:
  - keepalive enforcement: a client that floods PINGs on a connection with
    no call gets GOAWAY ENHANCE_YOUR_CALM "too_many_pings" once it passes
    grpc.keepalive_max_ping_strikes;
  - grpc.max_connection_idle_ms: a connection without calls gets GOAWAY;
  - grpc.max_concurrent_streams: the server's SETTINGS announce it.
Each wait is bounded; none is asserted on time.

Usage: grpc_limits_test.py STREAMGATE_BINARY SOURCE_DIR
"""

import os
import socket
import struct
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
import harness  # noqa: E402
import rapid_reset  # noqa: E402

ENHANCE_YOUR_CALM = 0xB
SETTINGS_MAX_CONCURRENT_STREAMS = 0x3

CONFIG = """
grpc:
  listen: "127.0.0.1:{port}"
  max_concurrent_streams: 37
  max_connection_idle_ms: 1500
  keepalive_max_ping_strikes: 2
modules:
  - id: all
    subscribe_events: ["*"]
    sink: {{type: file, path: "{dir}/sink.jsonl"}}
"""


class Frames:
    """Reads HTTP/2 frames from a socket."""

    def __init__(self, sock):
        self.sock = sock
        self.buf = b""

    def _need(self, n, deadline):
        while len(self.buf) < n:
            self.sock.settimeout(max(0.05, deadline - time.monotonic()))
            try:
                data = self.sock.recv(65536)
            except socket.timeout:
                data = None
            if not data:
                return False
            self.buf += data
        return True

    def next(self, deadline):
        """(type, flags, stream, payload), or None at EOF / the deadline."""
        if not self._need(9, deadline):
            return None
        length = struct.unpack(">I", b"\0" + self.buf[:3])[0]
        if not self._need(9 + length, deadline):
            return None
        head, self.buf = self.buf[:9 + length], self.buf[9 + length:]
        return (head[3], head[4], struct.unpack(">I", head[5:9])[0] & 0x7FFFFFFF,
                head[9:])


def connect(port):
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    s.sendall(rapid_reset.PREFACE + rapid_reset._frame(4, 0, 0, b""))
    return s, Frames(s)


def wait_goaway(frames, timeout, on_frame=None):
    """The GOAWAY's (error code, debug text), or None."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        f = frames.next(deadline)
        if f is None:
            return None
        if on_frame:
            on_frame(f)
        if f[0] == 7:  # GOAWAY
            code = struct.unpack(">I", f[3][4:8])[0]
            return code, f[3][8:].decode("utf-8", "replace")
    return None


def main():
    binary, src = sys.argv[1], sys.argv[2]
    work = tempfile.mkdtemp(prefix="sg-grpclim-")
    harness.generate_stubs(src, os.path.join(work, "stubs"))
    chk = harness.Checker()
    port = harness.free_port()
    gw = harness.Gateway(binary, work, CONFIG.format(port=port, dir=work))

    def body():
        gw.start()
        gw.serving_channel(port).close()

        # SETTINGS and the ping flood on one connection.
        sock, frames = connect(port)
        settings = {}

        def note(f):
            if f[0] == 4 and not f[1] & 1:  # SETTINGS, not an ACK
                for i in range(0, len(f[3]) - 5, 6):
                    ident, value = struct.unpack(">HI", f[3][i:i + 6])
                    settings[ident] = value
        for n in range(10):
            try:
                sock.sendall(rapid_reset._frame(6, 0, 0, struct.pack(">Q", n)))
            except (BrokenPipeError, ConnectionResetError):
                break  # the GOAWAY came first and the server closed: read it
        got = wait_goaway(frames, 20, note)
        sock.close()
        chk.eq(settings.get(SETTINGS_MAX_CONCURRENT_STREAMS), 37,
               "SETTINGS_MAX_CONCURRENT_STREAMS announced")
        chk.check(got is not None and got[0] == ENHANCE_YOUR_CALM
                  and "too_many_pings" in got[1],
                  "a ping flood without calls gets GOAWAY ENHANCE_YOUR_CALM "
                  "too_many_pings (got %r)" % (got,))

        # An idle connection is closed.
        sock, frames = connect(port)
        got = wait_goaway(frames, 30)
        sock.close()
        # gRPC 1.51's idle filter says "enter idle" in the GOAWAY.
        chk.check(got is not None and "idle" in got[1],
                  "an idle connection gets GOAWAY for idleness (got %r)"
                  % (got,))
        chk.eq(gw.stop(), 0, "exit code after SIGTERM")

    try:
        return harness.run_checks("grpc_limits", work, chk, body)
    finally:
        gw.kill()


if __name__ == "__main__":
    sys.exit(main())
