"""A job's log: an append-only, size-capped text file plus the last lines in memory (for error messages)."""

from __future__ import annotations

from collections import deque
from pathlib import Path
from typing import TextIO

TAIL_LINES = 20


class JobLog:
    """Opened on the first line to store, not before: creating a file is the costliest step of a trivial job
    (tens of µs of kernel time on ext4, up to ~1 ms while it is still freeing recently deleted files). So the
    app's own notes (`note`: "attempt 1 started", "completed") wait in memory until the job writes a line of its
    own, or go straight to a file that an earlier attempt made; a job that never writes has no log file, and
    its log reads as empty (its start and end are in its history)."""

    def __init__(self, path: Path, max_bytes: int) -> None:
        self.path = path
        self._max = max_bytes
        self._file: TextIO | None = None
        self._size = 0
        self._capped = False
        self._notes: list[str] | None = None  # None: not yet known whether an earlier attempt made the file
        self.tail: deque[str] = deque(maxlen=TAIL_LINES)

    def note(self, text: str) -> None:
        """A line of the app's own: stored with the job's output, or not at all if the job writes none."""
        if self._file is None:
            if self._notes is None:
                self._notes = [] if not self.path.exists() else None
            if self._notes is not None:
                self.tail.append(text)
                self._notes.append(text)
                return
        self.write(text)

    def write(self, text: str) -> None:
        if self._file is None:
            self._open()
        for line in text.splitlines() or ['']:
            self.tail.append(line)
            self._store(line)

    def _store(self, line: str) -> None:
        if self._capped:
            return
        data = line + '\n'
        if self._size + len(data) > self._max:
            self._capped = True
            data = f'[progress-app] log capped at {self._max} bytes; further output is not stored\n'
        self._file.write(data)  # type: ignore[union-attr]
        self._size += len(data)

    def _open(self) -> None:
        try:
            self._file = self.path.open('a', encoding='utf-8', errors='replace', buffering=1)
        except FileNotFoundError:  # the folder is made at start-up; only a folder removed since needs this
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._file = self.path.open('a', encoding='utf-8', errors='replace', buffering=1)
        self._size = self._file.tell()
        self._capped = self._size >= self._max
        for line in self._notes or ():  # already in the tail
            self._store(line)
        self._notes = None

    def close(self) -> None:
        if self._file is not None:
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


def tail_offset(path: Path, max_bytes: int) -> int:
    """Where the last `max_bytes` of the log begin, moved on to the start of a line (0 for a shorter log): to
    open a long log at its end, as `tail -f` does, rather than read it all from the start."""
    if not path.exists():
        return 0
    with path.open('rb') as f:
        size = f.seek(0, 2)
        if size <= max_bytes:
            return 0
        f.seek(size - max_bytes)
        skipped = f.readline()  # most likely part of a line
        return size - max_bytes + len(skipped)


def _complete_utf8(data: bytes) -> str:
    for cut in range(len(data), max(len(data) - 4, 0) - 1, -1):
        try:
            return data[:cut].decode('utf-8')
        except UnicodeDecodeError:
            continue
    return data.decode('utf-8', errors='replace')
