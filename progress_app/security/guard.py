"""What keeps web pages in the user's own browser from driving the app, with or without a password.

- **Host.** A request must name the app by a name it is served under: an IP address, a loopback name
  (`localhost`), the machine's own name when listening beyond loopback, or one of `--allowed-hosts`. DNS rebinding
  (an attacker's name made to point at 127.0.0.1) arrives with the attacker's name, and is refused.
- **Origin.** A request that changes something (any method but GET, HEAD and OPTIONS) and every WebSocket
  handshake is refused when the browser says it comes from another origin (`Origin`, or else `Referer`, naming
  another scheme, host or port than the request's own). Scripts and curl send neither header and are not
  affected.
- **Bodies.** `/api/` requests that change something take JSON (or no body): the content types an HTML form can
  send (`application/x-www-form-urlencoded`, `multipart/form-data`, `text/plain`) are refused, so a cross-site
  form cannot even reach a route. `POST /api/uploads` takes `multipart/form-data` (a file is sent that way); a
  browser reaches it only from the app's own pages, as the Origin check above already makes sure.
- **Frames.** No page may be shown inside another site's frame (`X-Frame-Options`, CSP `frame-ancestors`).

A pure ASGI middleware, so that it sees WebSocket handshakes too (HTTP middleware does not).
"""

from __future__ import annotations

import ipaddress
import json
import socket
from collections.abc import Awaitable, Callable, Iterable, MutableMapping
from typing import Any
from urllib.parse import urlsplit

from progress_app.config import LOOPBACK_NAMES, Settings, is_loopback

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

SAFE_METHODS = frozenset({'GET', 'HEAD', 'OPTIONS'})
FORM_TYPES = ('application/x-www-form-urlencoded', 'multipart/form-data', 'text/plain')
UPLOAD_PATH, UPLOAD_TYPE = '/api/uploads', 'multipart/form-data'
FRAME_HEADERS = [(b'x-frame-options', b'DENY'), (b'content-security-policy', b"frame-ancestors 'none'")]


def served_names(settings: Settings) -> frozenset[str]:
    """Host names (lower case, no port) the app answers to, besides IP addresses; '*' means any."""
    names = set(LOOPBACK_NAMES) | {name.lower() for name in settings.allowed_hosts}
    if not is_loopback(settings.host):
        names |= {socket.gethostname().lower(), socket.getfqdn().lower(), settings.host.lower()}
    return frozenset(names)


def host_name(value: str) -> str:
    """`Host`'s name without the port: 'example.org:8080' → 'example.org', '[::1]:80' → '::1'."""
    value = value.strip().lower()
    if value.startswith('['):
        return value[1:value.find(']')] if ']' in value else value
    return value.rsplit(':', 1)[0] if value.count(':') == 1 else value


def is_ip(name: str) -> bool:
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return False
    return True


def host_allowed(host: str, names: Iterable[str]) -> bool:
    """An IP address is always the app's own (rebinding needs a name); a name must be served or allowed."""
    name = host_name(host).rstrip('.')
    if not name:
        return False
    if is_ip(name):
        return True
    for allowed in names:
        if allowed == '*' or name == allowed or (allowed.startswith('.') and name.endswith(allowed)):
            return True
    return False


def same_origin(origin: str, host: str, scheme: str) -> bool:
    """Whether `origin` (a URL) is scheme://host of this request; default ports count as given."""
    parts = urlsplit(origin)
    if not parts.scheme or not parts.netloc:
        return False  # 'null' (a sandboxed frame, a file: page) and anything malformed
    web_scheme = {'ws': 'http', 'wss': 'https'}.get(scheme, scheme)
    default = {'http': 80, 'https': 443}
    try:
        port = parts.port or default.get(parts.scheme)
    except ValueError:
        return False
    request = urlsplit(f'{web_scheme}://{host}')
    try:
        request_port = request.port or default.get(web_scheme)
    except ValueError:
        return False
    return (parts.scheme, (parts.hostname or '').rstrip('.'), port) == (
        web_scheme, (request.hostname or '').rstrip('.'), request_port)


class Guard:
    def __init__(self, app: ASGIApp, names: frozenset[str]) -> None:
        self.app = app
        self.names = names

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope['type'] not in ('http', 'websocket'):
            return await self.app(scope, receive, send)
        refusal = self.refusal(scope)
        if refusal is not None:
            return await self._refuse(scope, receive, send, *refusal)
        if scope['type'] == 'http':
            return await self.app(scope, receive, self._with_frame_headers(send))
        return await self.app(scope, receive, send)

    def refusal(self, scope: Scope) -> tuple[int, str] | None:
        headers = {key.decode('latin-1'): value.decode('latin-1') for key, value in scope['headers']}
        host = headers.get('host', '')
        if not host_allowed(host, self.names):
            return 403, (f'this app is not served under the name {host_name(host)!r} (a page of another site may '
                         'have pointed its name at this machine); to allow it, start the app with --allowed-hosts')
        changes = scope['type'] == 'websocket' or scope['method'] not in SAFE_METHODS
        if not changes:
            return None
        source = headers.get('origin') or headers.get('referer')
        if source is not None and not same_origin(source, host, scope.get('scheme', 'http')):
            return 403, f'cross-site request refused: it comes from {source!r}, not from this app'
        content_type = headers.get('content-type', '').split(';', 1)[0].strip().lower()
        upload = scope['path'] == UPLOAD_PATH and content_type == UPLOAD_TYPE
        if scope['type'] == 'http' and scope['path'].startswith('/api/') and content_type in FORM_TYPES \
                and not upload:
            return 415, f'send JSON (Content-Type: application/json), not {content_type}'
        return None

    async def _refuse(self, scope: Scope, receive: Receive, send: Send, status: int, detail: str) -> None:
        body = json.dumps({'detail': detail}).encode()
        headers = [(b'content-type', b'application/json'), (b'content-length', str(len(body)).encode())]
        if scope['type'] == 'websocket':
            await receive()  # the handshake's websocket.connect
            start = {'type': 'websocket.http.response.start', 'status': status, 'headers': headers}
            if 'websocket.http.response' not in scope.get('extensions', {}):
                await send({'type': 'websocket.close', 'code': 1008})
                return
            await send(start)
            await send({'type': 'websocket.http.response.body', 'body': body})
            return
        await send({'type': 'http.response.start', 'status': status, 'headers': headers + FRAME_HEADERS})
        await send({'type': 'http.response.body', 'body': body})

    @staticmethod
    def _with_frame_headers(send: Send) -> Send:
        async def sending(message: Message) -> None:
            if message['type'] == 'http.response.start':
                message['headers'] = [*message.get('headers', []), *FRAME_HEADERS]
            await send(message)

        return sending
