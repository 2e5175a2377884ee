"""Files handed to the app from a browser or a script (`POST /api/uploads`), kept under `<data dir>/uploads/`.

    uploads/
      20261203-052501-3fa9c1/video.mp4       one folder per upload: its path is a job's `input`, the folder a
      .partial/<token>/                       batch's `source`; an upload being received (gone if it breaks off)
      .claims/<token>.<job id>               the jobs that use an upload: it is removed with the last of them

A job claims the uploads its parameters name when it is submitted; removing the job releases them. Uploads no
job claims within a day, and the claims of jobs that are gone (purged by retention), are swept at start-up.
"""

from __future__ import annotations

import secrets
import shutil
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

from progress_app.runtime.files.receive import receive, too_large

PARTIAL = '.partial'
CLAIMS = '.claims'
UNCLAIMED_SECONDS = 24 * 3600
"""An upload no job uses is kept this long (a form being filled in) before the start-up sweep removes it."""
BODY_SLACK = 1024 * 1024
"""A body this much over the limit may still hold files under it (multipart headers, form fields)."""


def uploads_dir(data_dir: Path) -> Path:
    """Where uploads are kept; jobs may always read and write there, whatever the allowed folders are."""
    return Path(data_dir).expanduser().resolve() / 'uploads'


class Uploads:
    """Uploads under `root`. `limit` gives the largest upload in bytes (a preference, read at each upload);
    `exists(job_id)` tells whether a job is still there (for the sweep)."""

    def __init__(self, root: Path, limit: Callable[[], int], exists: Callable[[int], Any]) -> None:
        self.root = root
        self._limit = limit
        self._exists = exists
        self._lock = threading.Lock()

    def limit(self) -> int:
        return self._limit()

    async def receive(self, chunks: AsyncIterator[bytes], content_type: str,
                      content_length: int | None = None) -> dict[str, Any]:
        """Stream a multipart body to disk; returns `{path, folder, name, size, files}`: `path` is the file (the
        folder when there were several), `folder` the upload's own folder. Raises UploadRefused; a refused,
        broken or cancelled upload leaves nothing behind."""
        limit = self.limit()
        if content_length is not None and content_length > limit + BODY_SLACK:
            raise too_large(limit)
        token = f'{time.strftime("%Y%m%d-%H%M%S")}-{secrets.token_hex(3)}'
        partial = self.root / PARTIAL / token
        partial.mkdir(parents=True)
        try:
            files = await receive(chunks, content_type, partial, limit)
            folder = self.root / token
            partial.rename(folder)
        except BaseException:  # refused, the client went away, the server stops: nothing stays
            shutil.rmtree(partial, ignore_errors=True)
            raise
        paths = [folder / f.name for f in files]
        return {'path': str(paths[0] if len(paths) == 1 else folder), 'folder': str(folder),
                'name': files[0].name if len(files) == 1 else f'{len(files)} files',
                'size': sum(f.size for f in files),
                'files': [{'name': f.name, 'path': str(p), 'size': f.size} for f, p in zip(files, paths, strict=True)]}

    def token_of(self, value: str) -> str | None:
        """The upload a path lies in ('…/uploads/<token>/video.mp4' → '<token>'), or None."""
        try:
            relative = Path(value).expanduser().resolve().relative_to(self.root)
        except (ValueError, OSError, RuntimeError):
            return None
        first = relative.parts[0] if relative.parts else ''
        return first if first and not first.startswith('.') else None

    def claim(self, job_id: int, params: Mapping[str, Any]) -> None:
        """Note that the job uses the uploads its parameters name (any text value, or list of them)."""
        tokens = {token for value in _texts(params.values()) if (token := self.token_of(value))}
        if not tokens:
            return
        with self._lock:
            (self.root / CLAIMS).mkdir(parents=True, exist_ok=True)
            for token in tokens:
                (self.root / CLAIMS / f'{token}.{job_id}').touch()

    def release(self, job_id: int) -> None:
        """The job is gone: remove each upload it used that no other job uses."""
        claims = self.root / CLAIMS
        if not claims.is_dir():
            return
        with self._lock:
            for marker in claims.glob(f'*.{job_id}'):
                marker.unlink(missing_ok=True)
                self._remove_if_unclaimed(marker.name.rsplit('.', 1)[0])

    def _remove_if_unclaimed(self, token: str) -> None:
        if not any((self.root / CLAIMS).glob(f'{token}.*')):
            shutil.rmtree(self.root / token, ignore_errors=True)

    def sweep(self, now: float | None = None) -> None:
        """At start-up: remove uploads that broke off, claims of jobs that are gone, and uploads left unclaimed
        for a day (or that lost their last job)."""
        if not self.root.is_dir():
            return
        now = time.time() if now is None else now
        shutil.rmtree(self.root / PARTIAL, ignore_errors=True)
        claims = self.root / CLAIMS
        with self._lock:
            for marker in (claims.iterdir() if claims.is_dir() else ()):
                token, _, job_id = marker.name.rpartition('.')
                if not job_id.isdigit() or not self._exists(int(job_id)):
                    marker.unlink(missing_ok=True)
                    self._remove_if_unclaimed(token)
            for folder in self.root.iterdir():
                if folder.name.startswith('.') or any(claims.glob(f'{folder.name}.*')):
                    continue
                if now - folder.stat().st_mtime > UNCLAIMED_SECONDS:
                    shutil.rmtree(folder, ignore_errors=True)


def _texts(values: Iterable[Any]) -> Iterable[str]:
    for value in values:
        if isinstance(value, str):
            yield value
        elif isinstance(value, list | tuple):
            yield from (item for item in value if isinstance(item, str))
