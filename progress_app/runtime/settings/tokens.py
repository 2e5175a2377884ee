"""API tokens: random secrets shown once, stored only as SHA-256 hashes in the settings table."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
import uuid
from typing import Any

from progress_app.domain.limits import TOKEN_NAME_MAX
from progress_app.errors import InvalidParams, NotFound
from progress_app.store.repository import Repository

SETTING = 'api_tokens'
PREFIX = 'pa_'


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class TokenStore:
    def __init__(self, repo: Repository) -> None:
        self._repo = repo

    def list(self) -> list[dict[str, Any]]:
        """Tokens without their secrets: id, name, the first characters, created_at, last_used_at."""
        return [{k: v for k, v in t.items() if k != 'sha256'} for t in self._all()]

    def create(self, name: str) -> tuple[str, dict[str, Any]]:
        """A new token; the secret is returned here and never again."""
        name = name.strip()
        if not 0 < len(name) <= TOKEN_NAME_MAX:
            raise InvalidParams.field('name', f'give the token a name of 1 to {TOKEN_NAME_MAX} characters')
        secret = PREFIX + secrets.token_urlsafe(32)
        info = {'id': uuid.uuid4().hex[:12], 'name': name, 'hint': secret[:7] + '…', 'created_at': time.time(),
                'sha256': _digest(secret)}
        self._repo.put_setting(SETTING, [*self._all(), info])
        return secret, {k: v for k, v in info.items() if k != 'sha256'}

    def revoke(self, token_id: str) -> None:
        tokens = self._all()
        kept = [t for t in tokens if t['id'] != token_id]
        if len(kept) == len(tokens):
            raise NotFound(f'there is no API token {token_id!r}')
        self._repo.put_setting(SETTING, kept)

    def verify(self, token: str) -> bool:
        digest = _digest(token)
        return any(hmac.compare_digest(digest, t['sha256']) for t in self._all())

    def _all(self) -> list[dict[str, Any]]:
        stored = self._repo.get_settings().get(SETTING) or []
        if not isinstance(stored, list):  # damaged: no token is valid (the password still is)
            return []
        return [t for t in stored if isinstance(t, dict) and 'sha256' in t]
