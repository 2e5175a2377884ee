"""Real local receivers for Apprise, so notifications are delivered, not mocked: an HTTP endpoint for its `json://`
service and an SMTP server (aiosmtpd) for e-mail."""

from __future__ import annotations

import json
import socket
import threading
from email import message_from_bytes, policy
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from aiosmtpd.controller import Controller

from tests.helpers import free_port, wait_until


class Endpoint:
    """An HTTP server in a thread that keeps the JSON bodies posted to it."""

    def __init__(self) -> None:
        self.received: list[dict[str, Any]] = []
        received = self.received

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers['Content-Length']))
                received.append(json.loads(body) | {'path': self.path})
                self.send_response(200)
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(('127.0.0.1', 0), Handler)
        self.url = f'json://127.0.0.1:{self.server.server_port}/hook'
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def titles(self) -> list[str]:
        return [m['title'] for m in self.received]

    def wait_for(self, text: str) -> dict[str, Any]:
        return wait_until(lambda: next((m for m in self.received if text in m['title']), None), 15,
                          message=lambda: f'a notification titled {text!r}; got {self.titles()}')


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


class Mailbox:
    """An SMTP server on 127.0.0.1 (aiosmtpd, in a thread) that keeps every mail it is sent; `url` sends there."""

    def __init__(self) -> None:
        self.received: list[EmailMessage] = []
        received = self.received

        class Handler:
            async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
                received.append(message_from_bytes(envelope.content, policy=policy.default))
                return '250 OK'

        port = free_port()
        self.controller = Controller(Handler(), hostname='127.0.0.1', port=port)
        self.controller.start()
        self.url = f'mailto://127.0.0.1:{port}?from=app@example.org&to=me@example.org&secure=no'

    def wait_for(self, subject: str) -> EmailMessage:
        return wait_until(lambda: next((m for m in self.received if subject in m['subject']), None), 15,
                          message=lambda: f'a mail about {subject!r}; got {[m["subject"] for m in self.received]}')

    def close(self) -> None:
        self.controller.stop()
