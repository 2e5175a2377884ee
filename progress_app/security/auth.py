"""Access control when a password is set (always when the app listens beyond this machine).

- The API (including SSE streams and downloads) takes `Authorization: Bearer <token>`: the password itself, or
  an API token made in the settings. A browser that has logged in to the UI may use the API too.
- Pages redirect to `/login` until the browser has logged in (a session cookie signed with a secret kept in the
  data dir, so a login survives restarts).
- The WebSocket is checked inside its handler (HTTP middleware does not see WebSocket routes); it also takes
  `?token=`.
- Failed attempts are throttled per client address (`throttle.py`).
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Awaitable, Callable
from pathlib import Path

from fastapi import Request, Response
from fastapi.responses import JSONResponse, RedirectResponse
from nicegui import app
from starlette.middleware.base import BaseHTTPMiddleware
from starlette.websockets import WebSocket

from progress_app.runtime import TokenStore
from progress_app.security.throttle import FREE_FAILURES, Throttle

OPEN_PATHS = ('/login', '/favicon.ico')
API_PREFIXES = ('/api/', '/docs', '/redoc', '/openapi.json')
class Auth:
    def __init__(self, password: str | None, tokens: TokenStore) -> None:
        self.password = password
        self.tokens = tokens
        self.throttle = Throttle()

    @property
    def enabled(self) -> bool:
        return bool(self.password)

    def valid(self, token: str | None) -> bool:
        if not token:
            return False
        if self.password and hmac.compare_digest(token.encode(), self.password.encode()):
            return True
        return self.tokens.verify(token)

    def check_password(self, client: str, password: str) -> tuple[bool, float, int]:
        """Whether the UI login succeeds; if not, the seconds to wait (when throttled) and the tries left."""
        wait = self.throttle.retry_after(client)
        if wait:
            return False, wait, 0
        if bool(self.password) and hmac.compare_digest(password.encode(), (self.password or '').encode()):
            self.throttle.succeeded(client)
            return True, 0.0, FREE_FAILURES
        return False, 0.0, self.throttle.failed(client)


def bearer(header: str | None) -> str | None:
    if header and header[:7].lower() == 'bearer ':
        return header[7:].strip()
    return None


def logged_in() -> bool:
    try:
        return bool(app.storage.user.get('authenticated'))
    except (RuntimeError, AssertionError, KeyError):
        return False


class AuthMiddleware(BaseHTTPMiddleware):
    def __init__(self, asgi_app, auth: Auth) -> None:
        super().__init__(asgi_app)
        self.auth = auth

    async def dispatch(self, request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        path = request.url.path
        if not self.auth.enabled or path.startswith('/_nicegui') or path in OPEN_PATHS:
            return await call_next(request)
        if path.startswith(API_PREFIXES):
            client = request.client.host if request.client else '?'
            wait = self.auth.throttle.retry_after(client)
            if wait:
                return JSONResponse({'detail': f'too many failed attempts; try again in {wait:.0f} s'},
                                    status_code=429, headers={'Retry-After': str(int(wait) + 1)})
            token = bearer(request.headers.get('authorization'))
            if self.auth.valid(token) or logged_in():
                return await call_next(request)
            if token:
                self.auth.throttle.failed(client)
            return JSONResponse({'detail': 'authentication required: send Authorization: Bearer <token>'},
                                status_code=401, headers={'WWW-Authenticate': 'Bearer'})
        if logged_in():
            return await call_next(request)
        return RedirectResponse(f'/login?next={path}')


async def websocket_allowed(ws: WebSocket, auth: Auth) -> bool:
    """Check a WebSocket before accepting it; answers 401 (or closes with 1008) when it is not allowed."""
    if not auth.enabled:
        return True
    token = bearer(ws.headers.get('authorization')) or ws.query_params.get('token')
    if auth.valid(token):
        return True
    try:
        await ws.send_denial_response(JSONResponse({'detail': 'authentication required'}, status_code=401))
    except RuntimeError:  # the server does not support denial responses
        await ws.close(code=1008)
    return False


def storage_secret(data_dir: Path) -> str:
    """The secret that signs session cookies, made once and kept in the data dir (readable by the owner only)."""
    path = data_dir / '.session-secret'
    if not path.exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(48))
        path.chmod(0o600)
    return path.read_text().strip()
