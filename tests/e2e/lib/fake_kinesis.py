"""A fake Kinesis endpoint for the end-to-end tests: an HTTP server on a free
127.0.0.1 port, in this process, whose answers a test chooses.

`answer(body)` gets each request's JSON body (a dict; {} when it is not
JSON) and returns (HTTP status, answer dict); it may sleep to answer late.
Every body is kept in `requests`, in arrival order.

Threading: the server answers on its own threads (one per connection);
`requests` is appended to under a lock.
"""

import http.server
import json
import threading


class FakeKinesis:
    def __init__(self, answer):
        outer = self
        self.requests = []
        self._lock = threading.Lock()

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_POST(self):
                raw = self.rfile.read(int(self.headers.get("Content-Length",
                                                           "0")))
                try:
                    body = json.loads(raw or b"{}")
                except ValueError:
                    body = {}
                with outer._lock:
                    outer.requests.append(body)
                status, reply = answer(body)
                data = json.dumps(reply).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/x-amz-json-1.1")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.url = "http://127.0.0.1:%d" % self.port
        self.thread = threading.Thread(target=self.server.serve_forever,
                                       daemon=True)
        self.thread.start()

    def request_count(self):
        with self._lock:
            return len(self.requests)

    def close(self):
        self.server.shutdown()
        self.server.server_close()
