"""A real local HTTP endpoint for Apprise's `json://` service: notifications are delivered, not mocked."""

from __future__ import annotations

import json
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from tests.helpers import wait_until


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
