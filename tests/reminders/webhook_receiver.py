"""A robot webhook on 127.0.0.1 for the in-process tests: records what it is sent and answers what
the test tells it to (by default WeCom's and DingTalk's "ok": {"errcode": 0})."""

import json
import threading
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

OK = (200, {"errcode": 0, "errmsg": "ok"}, {})


class Receiver:
    def __init__(self):
        self.requests: list[dict] = []
        self.replies: list[tuple[int, object, dict]] = []
        self.always: tuple[int, object, dict] = OK
        self.url = ""
        self.host = ""

    def reply(self, status: int, body: object = None, headers: dict | None = None, *, always: bool = False):
        """The next answer (or, with always=True, every answer from now on)."""
        answer = (status, {"errcode": 0, "errmsg": "ok"} if body is None else body, headers or {})
        if always:
            self.always = answer
        else:
            self.replies.append(answer)

    def _next(self):
        return self.replies.pop(0) if self.replies else self.always


@contextmanager
def running_receiver(path: str = "/cgi-bin/webhook/send?key=test"):
    """`path`: the robots' by default; the outbound-webhook tests pass their own."""
    receiver = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            receiver.requests.append(
                {
                    "path": self.path,
                    "headers": dict(self.headers),
                    "raw": raw,
                    "body": json.loads(raw or b"null"),
                }
            )
            status, body, headers = receiver._next()
            payload = body if isinstance(body, bytes) else json.dumps(body).encode()
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    receiver.host = f"127.0.0.1:{server.server_port}"
    receiver.url = f"http://{receiver.host}{path}"
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
