"""The real parts the end-to-end reminder tests run against (tests/reminders/test_e2e_worker.py).

- `MailSink`: an SMTP server (aiosmtpd) on 127.0.0.1 that keeps every message it accepts.
- `WebhookReceiver`: an HTTP server in a thread on 127.0.0.1 standing in for the WeCom and DingTalk
  robots; it can be made slow or made to answer 500.
- `Worker`: a `celery -A winteraction worker --pool=solo` subprocess (optionally with embedded beat)
  in its own process group, so SIGKILLing it takes its beat child along.
- `PrivateRedis`: a `redis-server` of the test's own on a spare port, without persistence, which the
  test may stop and start again. The machine's Redis is never touched.
- `wait_for`: a bounded poll (the tests never sleep a fixed time).
"""

import email
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import dataclass, field
from email import policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qsl, quote, urlsplit

from aiosmtpd.controller import Controller

BASE_DIR = Path(__file__).resolve().parents[2]


def spare_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(predicate, *, timeout: float = 30.0, interval: float = 0.1, describe=None):
    """Poll `predicate` until it returns something truthy (returned), or fail after `timeout` seconds
    with `describe()` (what was seen instead) in the message."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            detail = describe() if describe else ""
            raise AssertionError(
                f"not within {timeout:g} s: {getattr(predicate, '__doc__', '') or ''}\n{detail}"
            )
        time.sleep(interval)


def database_url(settings_dict: dict) -> str:
    """A DATABASE_URL naming the database pytest-django created (test_<name>), for a subprocess."""
    user = quote(settings_dict.get("USER") or "", safe="")
    password = quote(settings_dict.get("PASSWORD") or "", safe="")
    credentials = f"{user}:{password}@" if password else (f"{user}@" if user else "")
    host = settings_dict.get("HOST") or "127.0.0.1"
    port = settings_dict.get("PORT") or 5432
    return f"postgres://{credentials}{host}:{port}/{quote(settings_dict['NAME'], safe='')}"


# ---- SMTP -------------------------------------------------------------------------------------------


class _KeepMessages:
    def __init__(self, sink):
        self.sink = sink

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(
            envelope.original_content or envelope.content, policy=policy.default
        )
        with self.sink.lock:
            self.sink.messages.append(message)
        return "250 Message accepted for delivery"


class MailSink:
    """A real SMTP server on 127.0.0.1; `messages` are the parsed emails it accepted."""

    def __init__(self):
        self.lock = threading.Lock()
        self.messages: list[email.message.EmailMessage] = []
        self.host = "127.0.0.1"
        self.port = spare_port()
        self.controller = Controller(_KeepMessages(self), hostname=self.host, port=self.port)

    def start(self):
        self.controller.start()
        return self

    def stop(self):
        self.controller.stop()

    def received(self) -> list:
        with self.lock:
            return list(self.messages)


# ---- Webhooks ---------------------------------------------------------------------------------------


@dataclass
class Receipt:
    path: str
    query: dict
    body: dict
    at: float = field(default_factory=time.time)


class WebhookReceiver:
    """The robots' side of a webhook: records each POST on arrival (before answering), then answers
    after `delay` seconds with `status` (200 and {"errcode": 0} by default)."""

    def __init__(self):
        self.lock = threading.Lock()
        self.receipts: list[Receipt] = []
        self.delay = 0.0
        self.status = 200
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                parts = urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length)
                try:
                    body = json.loads(raw or b"{}")
                except ValueError:
                    body = {"unparsed": raw.decode("utf-8", "replace")}
                with receiver.lock:
                    receiver.receipts.append(Receipt(parts.path, dict(parse_qsl(parts.query)), body))
                    delay, status = receiver.delay, receiver.status
                if delay:
                    time.sleep(delay)
                answer = {"errcode": 0, "errmsg": "ok"} if status == 200 else {"errmsg": "server error"}
                payload = json.dumps(answer).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                except OSError:
                    pass  # the worker was killed while we were answering

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def host(self) -> str:
        """host:port, as WEBHOOK_TEST_HOSTS lists it."""
        return f"127.0.0.1:{self.port}"

    def url(self, path: str) -> str:
        return f"http://{self.host}{path}"

    def start(self):
        self.thread.start()
        return self

    def stop(self):
        self.server.shutdown()
        self.server.server_close()

    def received(self, path: str | None = None) -> list[Receipt]:
        with self.lock:
            return [r for r in self.receipts if path is None or r.path == path]


# ---- The worker -------------------------------------------------------------------------------------


class Worker:
    """`celery -A winteraction worker --pool=solo` with DJANGO_SETTINGS_MODULE=tests.reminders.worker_settings
    and the given environment; `beat=True` embeds the beat (the outbox sweeper on its schedule)."""

    def __init__(self, env: dict, log_path: Path, *, beat: bool = False):
        self.env = env
        self.log_path = log_path
        self.beat = beat
        self.process: subprocess.Popen | None = None

    def start(self, timeout: float = 30.0):
        command = [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "winteraction",
            "worker",
            "--pool=solo",
            "-Q",
            "celery",
            "-n",
            f"e2e-{uuid.uuid4().hex[:8]}@%h",
            "--without-mingle",
            "--without-gossip",
            "--without-heartbeat",
            "--loglevel=INFO",
        ]
        if self.beat:
            command.append("-B")
        log = open(self.log_path, "ab")
        try:
            self.process = subprocess.Popen(
                command,
                cwd=BASE_DIR,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        finally:
            log.close()

        def ready():
            """the worker says it is ready"""
            if self.process.poll() is not None:
                raise AssertionError(
                    f"the worker exited with {self.process.returncode}:\n{self.log()[-4000:]}"
                )
            return " ready." in self.log()

        wait_for(ready, timeout=timeout, describe=lambda: self.log()[-4000:])
        return self

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def _signal_group(self, signum) -> None:
        try:
            os.killpg(self.process.pid, signum)
        except ProcessLookupError:
            pass

    def kill(self) -> None:
        """SIGKILL, as a machine losing power would: no warm shutdown, no acknowledgement."""
        if self.process is None:
            return
        self._signal_group(signal.SIGKILL)
        self.process.wait(timeout=10)

    def job_done(self, job_id: str) -> bool:
        """The worker has finished the job with this id (succeeded or raised)."""
        return any(f"[{job_id}] {word}" in self.log() for word in ("succeeded", "raised", "retry"))


# ---- A private Redis --------------------------------------------------------------------------------


class PrivateRedis:
    """A redis-server of the test's own on a spare port (no RDB, no AOF); stop() and start() again to
    take the broker away and bring it back."""

    def __init__(self, workdir: Path):
        self.binary = shutil.which("redis-server")
        self.workdir = workdir
        self.port = spare_port()
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def ping(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as sock:
                sock.sendall(b"PING\r\n")
                return sock.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def start(self):
        self.process = subprocess.Popen(
            [
                self.binary,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.workdir),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )

        def up():
            """the private redis-server answers PING"""
            return self.ping()

        wait_for(up, timeout=10, interval=0.05)
        return self

    def stop(self):
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=5)
