"""Receiving an upload: a `multipart/form-data` body parsed as it arrives (python-multipart's streaming parser) and
each file part written straight to disk, so a file of any size passes through a few kilobytes of memory.

Writing happens in a worker thread, one hop per received chunk, so the event loop never waits for the disk. The
byte count is checked as the data comes: the part that crosses `limit` is refused at once (UploadRefused, 413).
What was written stays where the caller put it; the caller removes it when anything goes wrong.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

import anyio.to_thread
from python_multipart import MultipartParser
from python_multipart.multipart import parse_options_header

from progress_app.errors import ProgressAppError

NAME_MAX = 200
"""A received file keeps its name, cut to this many characters (file systems allow 255 bytes)."""
FIELD_MAX = 64 * 1024
"""Form fields that are not files are read past, but one longer than this refuses the body."""
FILE_FIELD = b'file'
"""A field of this name is a file even without a file name."""
UNSAFE = re.compile(r'[\x00-\x1f\x7f/\\]')


class UploadRefused(ProgressAppError):
    """An upload that cannot be taken; `status` is the HTTP status that says why (400, 413, 415)."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


@dataclass(slots=True)
class ReceivedFile:
    name: str
    path: Path
    size: int = 0


def safe_name(given: str, taken: set[str]) -> str:
    """The browser's file name as a plain name in the upload's folder: no folder parts, no control characters,
    not hidden, not empty, unique among `taken` ('a.mp4', 'a (2).mp4')."""
    name = UNSAFE.sub('_', given.replace('\\', '/').rsplit('/', 1)[-1]).strip().lstrip('.') or 'upload'
    if len(name) > NAME_MAX:
        stem, dot, suffix = name.rpartition('.')
        name = (stem[:NAME_MAX - len(suffix) - 1] + dot + suffix) if dot and len(suffix) < 20 else name[:NAME_MAX]
    stem, dot, suffix = name.rpartition('.') if '.' in name else (name, '', '')
    candidate, number = name, 1
    while candidate.lower() in taken:
        number += 1
        candidate = f'{stem} ({number}){dot}{suffix}'
    taken.add(candidate.lower())
    return candidate


@dataclass
class _Parts:
    """The parser's callbacks: they note what arrived, and `apply` (in a worker thread) writes it."""

    folder: Path
    limit: int
    files: list[ReceivedFile] = field(default_factory=list)
    pending: list[tuple[str, Any]] = field(default_factory=list)
    _header: bytes = b''
    _value: bytes = b''
    _disposition: bytes = b''
    _field_size: int = 0
    _out: BinaryIO | None = None
    _taken: set[str] = field(default_factory=set)

    def callbacks(self) -> dict[str, Callable[..., None]]:
        return {
            'on_part_begin': lambda: self.pending.append(('begin', None)),
            'on_header_field': lambda data, start, end: self._note('field', data[start:end]),
            'on_header_value': lambda data, start, end: self._note('value', data[start:end]),
            'on_header_end': lambda: self.pending.append(('header_end', None)),
            'on_headers_finished': lambda: self.pending.append(('headers_done', None)),
            'on_part_data': lambda data, start, end: self.pending.append(('data', bytes(data[start:end]))),
            'on_part_end': lambda: self.pending.append(('end', None)),
        }

    def _note(self, what: str, data: bytes) -> None:
        self.pending.append((what, bytes(data)))

    def apply(self) -> None:
        events, self.pending = self.pending, []
        for what, data in events:
            getattr(self, f'_on_{what}')(data)

    def _on_begin(self, _data: None) -> None:
        self._header = self._value = self._disposition = b''
        self._field_size = 0

    def _on_field(self, data: bytes) -> None:
        self._header += data

    def _on_value(self, data: bytes) -> None:
        self._value += data

    def _on_header_end(self, _data: None) -> None:
        if self._header.strip().lower() == b'content-disposition':
            self._disposition = self._value
        self._header = self._value = b''

    def _on_headers_done(self, _data: None) -> None:
        _kind, options = parse_options_header(self._disposition)
        filename = options.get(b'filename')
        if filename is None and options.get(b'name') != FILE_FIELD:
            return  # a plain form field: read past it
        filename = filename or b'upload'  # a file field sent as text ('curl -F file=<data.txt')
        name = safe_name(filename.decode('utf-8', 'replace'), self._taken)
        received = ReceivedFile(name, self.folder / name)
        self.files.append(received)
        self._out = received.path.open('xb')

    def _on_data(self, data: bytes) -> None:
        if self._out is None:
            self._field_size += len(data)
            if self._field_size > FIELD_MAX:
                raise UploadRefused(f'a form field longer than {FIELD_MAX} bytes: send the file alone')
            return
        received = self.files[-1]
        received.size += len(data)
        if sum(f.size for f in self.files) > self.limit:
            raise too_large(self.limit)
        self._out.write(data)

    def _on_end(self, _data: None) -> None:
        self.close()

    def close(self) -> None:
        if self._out is not None:
            self._out.close()
            self._out = None


def too_large(limit: int) -> UploadRefused:
    return UploadRefused(f'the upload is larger than the limit of {limit / 1e6:,.0f} MB (Settings → Uploads)', 413)


async def receive(chunks: AsyncIterator[bytes], content_type: str, folder: Path, limit: int) -> list[ReceivedFile]:
    """Write every file part of the multipart body read from `chunks` into `folder` (which exists and is empty);
    returns the files in the order they came. Raises UploadRefused: not multipart (415), no file in it (400), a
    malformed body (400), more than `limit` bytes of files (413)."""
    kind, options = parse_options_header(content_type)
    boundary = options.get(b'boundary')
    if kind != b'multipart/form-data' or not boundary:
        raise UploadRefused('send the file as multipart/form-data (curl -F file=@video.mp4)', 415)
    parts = _Parts(folder, limit)
    parser = MultipartParser(boundary, parts.callbacks())
    try:
        async for chunk in chunks:
            try:
                parser.write(chunk)
            except ValueError as exc:  # python-multipart's MultipartParseError
                raise UploadRefused(f'the multipart body is malformed: {exc}') from None
            if parts.pending:
                await anyio.to_thread.run_sync(parts.apply)
        parser.finalize()
        await anyio.to_thread.run_sync(parts.apply)
    finally:
        parts.close()
    if not parts.files:
        raise UploadRefused('no file in the body: send it as a file field (curl -F file=@video.mp4)')
    return parts.files
