"""HTTP to the app, standard library only: one keep-alive connection per `Link`, and a request can be sent and its
answer collected later (`ready` polls the socket), so a long-poll never holds up the sender's other work."""

from __future__ import annotations

import http.client
import json
import os
import select
import time
from typing import Any, NamedTuple
from urllib.parse import urlsplit

DEFAULT_URL = 'http://127.0.0.1:8080'
TIMEOUT_SECONDS = 5.0
"""How long connecting, or an answer to a report, may take before the app counts as unreachable."""
IDLE_CONNECTION_SECONDS = 2.0
"""A connection unused this long is replaced before the next request: the server may have closed it meanwhile
(uvicorn keeps idle connections 5 s), and a request on it would fail as if the app were down."""


class Unreachable(Exception):
    """The app did not answer (refused, timed out, connection lost) or answered with a server error."""


class Answer(NamedTuple):
    status: int
    data: Any


def settings(url: str | None = None, token: str | None = None) -> tuple[str, str | None]:
    """The app's address and token: the arguments, else PROGRESS_APP_URL / PROGRESS_APP_TOKEN, else the default."""
    url = (url or os.environ.get('PROGRESS_APP_URL') or DEFAULT_URL).rstrip('/')
    return url, token or os.environ.get('PROGRESS_APP_TOKEN') or None


class Link:
    """One HTTP/1.1 connection to the app, reconnected on demand."""

    def __init__(self, url: str, token: str | None, timeout: float = TIMEOUT_SECONDS) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ('http', 'https') or not parts.hostname:
            raise ValueError(f'not an http(s) address of the app: {url!r}')
        self.url = url
        self._https = parts.scheme == 'https'
        self._host, self._port = parts.hostname, parts.port
        self._prefix = parts.path.rstrip('/')
        self._headers = {'Content-Type': 'application/json', 'Accept': 'application/json'}
        if token:
            self._headers['Authorization'] = f'Bearer {token}'
        self._timeout = timeout
        self._conn: http.client.HTTPConnection | None = None
        self._used_at = 0.0
        self.waiting = False
        """A request was sent and its answer not collected yet."""

    def call(self, path: str, body: Any, timeout: float | None = None) -> Answer:
        self.send(path, body)
        return self.receive(timeout)

    def send(self, path: str, body: Any) -> None:
        data = json.dumps(body, separators=(',', ':'), allow_nan=False).encode()
        now = time.monotonic()
        if self._conn is not None and now - self._used_at > IDLE_CONNECTION_SECONDS:
            self.close()
        self._used_at = now
        try:
            if self._conn is None:
                cls = http.client.HTTPSConnection if self._https else http.client.HTTPConnection
                self._conn = cls(self._host, self._port, timeout=self._timeout)
            self._conn.request('POST', self._prefix + path, data, self._headers)
        except (OSError, http.client.HTTPException) as exc:
            self.close()
            raise Unreachable(_reason(exc)) from None
        self.waiting = True

    def ready(self) -> bool:
        """The answer to the request in flight has (begun to) arrive(d): `receive` will not wait for the app."""
        sock = self._conn.sock if self._conn is not None else None
        if sock is None:
            return True  # receive() tells what went wrong
        try:
            return bool(select.select([sock], [], [], 0)[0])
        except (OSError, ValueError):
            return True

    def receive(self, timeout: float | None = None) -> Answer:
        conn = self._conn
        self.waiting = False
        if conn is None:
            raise Unreachable('connection lost')
        try:
            if conn.sock is not None:
                conn.sock.settimeout(timeout or self._timeout)
            response = conn.getresponse()
            raw = response.read()
            self._used_at = time.monotonic()
        except (OSError, http.client.HTTPException) as exc:
            self.close()
            raise Unreachable(_reason(exc)) from None
        if response.status >= 500:
            self.close()
            raise Unreachable(f'HTTP {response.status}')
        try:
            data = json.loads(raw) if raw else None
        except ValueError:
            data = raw.decode('utf-8', errors='replace')
        return Answer(response.status, data)

    def close(self) -> None:
        self.waiting = False
        if self._conn is not None:
            self._conn.close()
            self._conn = None


def detail(answer: Answer) -> str:
    """What the app said was wrong, in one line."""
    data = answer.data
    if isinstance(data, dict) and 'detail' in data:
        data = data['detail']
    if isinstance(data, list):  # pydantic-style: [{"loc": [...], "msg": "..."}]
        data = '; '.join(f"{'.'.join(str(p) for p in item.get('loc', ()))}: {item.get('msg')}"
                         if isinstance(item, dict) else str(item) for item in data)
    return f'HTTP {answer.status}: {data}'


def _reason(exc: BaseException) -> str:
    return str(exc) or type(exc).__name__
