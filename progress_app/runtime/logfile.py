"""A job's log: an append-only, size-capped text file plus the last lines in memory (for error messages)."""

from __future__ import annotations

from collections import deque
from pathlib import Path

TAIL_LINES = 20


class JobLog:
    def __init__(self, path: Path, max_bytes: int) -> None:
        self.path = path
        self._max = max_bytes
        try:
            self._file = path.open('a', encoding='utf-8', errors='replace', buffering=1)
        except FileNotFoundError:  # the folder is made at start-up; only a folder removed since needs this
            path.parent.mkdir(parents=True, exist_ok=True)
            self._file = path.open('a', encoding='utf-8', errors='replace', buffering=1)
        self._size = self._file.tell()
        self._capped = self._size >= max_bytes
        self.tail: deque[str] = deque(maxlen=TAIL_LINES)

    def write(self, text: str) -> None:
        for line in text.splitlines() or ['']:
            self.tail.append(line)
            if self._capped:
                continue
            data = line + '\n'
            if self._size + len(data) > self._max:
                self._capped = True
                data = f'[progress-app] log capped at {self._max} bytes; further output is not stored\n'
            self._file.write(data)
            self._size += len(data)

    def close(self) -> None:
        self._file.close()


def read_log(path: Path, offset: int = 0, limit: int = 1 << 20) -> tuple[str, int]:
    """Up to `limit` bytes of the log from `offset`; returns the text and the offset to ask for next."""
    if not path.exists():
        return '', 0
    with path.open('rb') as f:
        size = f.seek(0, 2)
        if offset >= size:
            return '', size if offset > size else offset
        f.seek(max(offset, 0))
        data = f.read(limit)
        # Do not cut a UTF-8 character in half: stop before an incomplete trailing sequence.
        text = data.decode('utf-8', errors='ignore') if len(data) < limit else _complete_utf8(data)
        return text, max(offset, 0) + len(text.encode('utf-8'))


def _complete_utf8(data: bytes) -> str:
    for cut in range(len(data), max(len(data) - 4, 0) - 1, -1):
        try:
            return data[:cut].decode('utf-8')
        except UnicodeDecodeError:
            continue
    return data.decode('utf-8', errors='replace')
