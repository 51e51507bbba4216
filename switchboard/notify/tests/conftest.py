"""Real servers for delivery tests: an SMTP server and an HTTP receiver on 127.0.0.1.

`smtp_server` — an aiosmtpd server on a free port; this process's email settings point at it
(the SMTP backend, no TLS, no auth), and `smtp_server.env` is the environment for a child
`manage.py worker` (pass `spawn("worker", env={**FAST, **smtp_server.env})`)::

    def test_mail(smtp_server):
        ...queue_email(...); run_pending_jobs()
        smtp_server.wait_for(1)
        message = smtp_server.messages[0]           # email.message.EmailMessage (parsed)
        smtp_server.refuse("gone@example.com")      # RCPT TO answered 550 (or pass a 4xx)
        assert message["Subject"] == "[#12] Hello"
        assert smtp_server.envelopes[0].rcpt_tos == ["ann@example.com"]

`http_receiver` — a ThreadingHTTPServer recording every request, with a programmable answer
sequence. `http_receiver.url` is its base URL (any path is accepted; `url_for("/x")` for
another one)::

    def test_hook(http_receiver):
        http_receiver.respond(500, 500, 500, 500, 500)   # then the default, 200
        endpoint = create_endpoint(..., url=http_receiver.url)
        ...
        http_receiver.wait_for(6)
        req = http_receiver.requests[-1]             # Received(method, path, headers, body)
        req.json()["event"]; req.headers["idempotency-key"]   # header names are lower case
        http_receiver.accepted_keys()                # Counter of Idempotency-Key over 2xx answers

Tests that run the worker inline (`core.worker.run_pending_jobs`) need
`@pytest.mark.django_db(transaction=True)`: the worker closes stale connections.

Answers are ints (status) or `Answer(status, headers, body, delay)`; `set_default(...)` changes
the answer once the sequence is used up. Like a careful receiver it remembers keys it accepted:
a repeat of an accepted key is answered 200 and counted in `duplicates`, not in `accepted`.
"""

from __future__ import annotations

import email
import email.policy
import json
import socket
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait(predicate: Any, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


# --- SMTP ------------------------------------------------------------------------------------


@dataclass
class Envelope:
    mail_from: str
    rcpt_tos: list[str]
    content: bytes
    received_at: float
    peer: Any = None  # the client's (host, port): one value per SMTP connection


class _SMTPHandler:
    def __init__(self, owner: SMTPServer) -> None:
        self.owner = owner

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: Any
    ) -> str:
        refusal = self.owner.refusals.get(address.lower())
        if refusal:
            return refusal
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        content = envelope.original_content or envelope.content
        if isinstance(content, str):
            content = content.encode()
        self.owner._record(
            Envelope(
                mail_from=envelope.mail_from,
                rcpt_tos=list(envelope.rcpt_tos),
                content=content,
                received_at=time.time(),
                peer=session.peer,
            )
        )
        return "250 Message accepted for delivery"


class SMTPServer:
    def __init__(self) -> None:
        self.port = free_port()
        self.host = "127.0.0.1"
        self.envelopes: list[Envelope] = []
        # address -> SMTP reply to RCPT TO, e.g. "550 5.1.1 No such user" (see `refuse`)
        self.refusals: dict[str, str] = {}
        self.messages: list[email.message.EmailMessage] = []
        self._lock = threading.Lock()
        self.controller = Controller(_SMTPHandler(self), hostname=self.host, port=self.port)

    @property
    def env(self) -> dict[str, str]:
        """Environment for child processes: send mail here."""
        return {"EMAIL_URL": f"smtp://{self.host}:{self.port}"}

    def _record(self, envelope: Envelope) -> None:
        parsed = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self._lock:
            self.envelopes.append(envelope)
            self.messages.append(parsed)  # type: ignore[arg-type]

    def refuse(self, address: str, reply: str = "550 5.1.1 No such user") -> None:
        """Answer RCPT TO for `address` with `reply` (5xx: permanent, 4xx: try again later)."""
        self.refusals[address.lower()] = reply

    def wait_for(self, count: int, timeout: float = 15) -> None:
        _wait(lambda: len(self.messages) >= count, timeout, f"{count} messages by SMTP")

    def restart(self) -> None:
        """Stop and start again on the same port (open client connections are cut)."""
        self.controller.stop()
        self.controller = Controller(_SMTPHandler(self), hostname=self.host, port=self.port)
        self.controller.start()

    def clear(self) -> None:
        with self._lock:
            self.envelopes.clear()
            self.messages.clear()


@pytest.fixture
def smtp_server(settings: Any) -> Iterator[SMTPServer]:
    server = SMTPServer()
    server.controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = server.host
    settings.EMAIL_PORT = server.port
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_USE_SSL = False
    settings.EMAIL_TIMEOUT = 10
    try:
        yield server
    finally:
        server.controller.stop()


# --- HTTP ------------------------------------------------------------------------------------


@dataclass
class Answer:
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b"ok"
    delay: float = 0.0


@dataclass
class Received:
    method: str
    path: str
    headers: dict[str, str]  # lower-case names
    body: bytes
    status: int  # what we answered
    received_at: float

    def json(self) -> Any:
        return json.loads(self.body)


class HTTPReceiver:
    def __init__(self) -> None:
        self.requests: list[Received] = []
        self.duplicates: list[Received] = []
        self._answers: list[Answer] = []
        self._default = Answer()
        self._accepted: set[str] = set()
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                receiver._handle(self)

            do_PUT = do_POST
            do_GET = do_POST

            def log_message(self, format: str, *args: Any) -> None:
                return None

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = int(self.server.server_address[1])
        self.url = f"http://127.0.0.1:{self.port}/hook"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def url_for(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}/{path.lstrip('/')}"

    def respond(self, *answers: int | Answer) -> None:
        """Answer the next requests with these, in order (then the default)."""
        with self._lock:
            self._answers.extend(a if isinstance(a, Answer) else Answer(a) for a in answers)

    def set_default(self, answer: int | Answer) -> None:
        with self._lock:
            self._default = answer if isinstance(answer, Answer) else Answer(answer)

    def _handle(self, handler: BaseHTTPRequestHandler) -> None:
        length = int(handler.headers.get("Content-Length") or 0)
        body = handler.rfile.read(length) if length else b""
        headers = {k.lower(): v for k, v in handler.headers.items()}
        key = headers.get("idempotency-key", "")
        with self._lock:
            answer = self._answers.pop(0) if self._answers else self._default
            duplicate = bool(key) and 200 <= answer.status < 300 and key in self._accepted
            if 200 <= answer.status < 300 and key:
                self._accepted.add(key)
            record = Received(
                handler.command, handler.path, headers, body, answer.status, time.time()
            )
            if duplicate:
                self.duplicates.append(record)
            self.requests.append(record)
        if answer.delay:
            time.sleep(answer.delay)
        try:
            handler.send_response(answer.status)
            for name, value in answer.headers.items():
                handler.send_header(name, value)
            handler.send_header("Content-Length", str(len(answer.body)))
            handler.end_headers()
            handler.wfile.write(answer.body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (timeout test)

    def accepted(self) -> list[Received]:
        """Requests answered 2xx that were not repeats of an accepted key."""
        with self._lock:
            dup_ids = {id(r) for r in self.duplicates}
            return [r for r in self.requests if 200 <= r.status < 300 and id(r) not in dup_ids]

    def accepted_keys(self) -> Counter[str]:
        return Counter(r.headers.get("idempotency-key", "") for r in self.accepted())

    def wait_for(self, count: int, timeout: float = 15) -> None:
        _wait(lambda: len(self.requests) >= count, timeout, f"{count} HTTP requests")

    def clear(self) -> None:
        with self._lock:
            self.requests.clear()
            self.duplicates.clear()
            self._accepted.clear()
            self._answers.clear()


@pytest.fixture
def http_receiver() -> Iterator[HTTPReceiver]:
    receiver = HTTPReceiver()
    receiver._thread.start()
    try:
        yield receiver
    finally:
        receiver.server.shutdown()
        receiver.server.server_close()
