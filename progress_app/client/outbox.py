"""What one run still has to tell the app, kept while the app cannot be reached (pure: no threads started, no I/O).

Progress is latest-wins: the script's numbers are read when a report is built and only what changed since the app
last acknowledged goes out. Log lines are kept in order, the newest `LOG_CAP` of them (a note says how many older
ones were dropped). A checkpoint is latest-wins too, and `done` is kept until it was delivered, always last.
"""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass
from itertools import islice
from typing import Any

LOG_CAP = 10_000
"""How many log lines are kept while they cannot be sent; older ones are dropped (and counted)."""
LOG_BATCH = 1000
"""The most log lines one report carries; the rest go in the next ones, before `done`."""
_NOTHING: Any = object()


@dataclass(slots=True)
class Batch:
    """One report being sent, and what to forget once the app acknowledged it."""

    update: dict[str, Any]
    progress: dict[str, Any]
    log_start: int
    log_end: int
    dropped: int
    checkpoint_version: int
    paused: bool
    done: bool


class Outbox:
    """The pending report of one run. `log`, `checkpoint` and `finish` may be called from any thread; `take` and
    `sent` from the one sender."""

    def __init__(self, log_cap: int = LOG_CAP) -> None:
        self._lock = threading.Lock()
        self._log: deque[str] = deque()
        self._log_cap = log_cap
        self._first = 0  # sequence number of self._log[0]
        self._dropped = 0  # lines dropped for the cap and not told yet
        self._checkpoint: Any = _NOTHING
        self._checkpoint_version = 0
        self._acknowledged: dict[str, Any] = {}
        self.paused = False
        """Tell the app the script has stopped for the pause it asked for."""
        self.done: dict[str, Any] | None = None
        self.delivered = False
        """The app has the run's `done`: nothing more to send."""

    def log(self, text: str) -> None:
        with self._lock:
            if len(self._log) >= self._log_cap:
                self._log.popleft()
                self._first += 1
                self._dropped += 1
            self._log.append(text)

    def checkpoint(self, state: Any) -> None:
        with self._lock:
            self._checkpoint = state
            self._checkpoint_version += 1

    def finish(self, **fields: Any) -> None:
        """The run ended: `fields` as the protocol's done update (exit_code, result, error, traceback, cancelled)."""
        if self.done is None:
            self.done = {'done': True, **{k: v for k, v in fields.items() if v is not None}}

    def take(self, progress: dict[str, Any]) -> Batch | None:
        """The update to send now, given the run's progress fields as they are now; None if there is nothing new."""
        update = {k: v for k, v in progress.items() if self._acknowledged.get(k, _NOTHING) != v}
        if 'stage' in update and 'message' in progress:  # the app clears the message as a stage is entered
            update['message'] = progress['message']
        with self._lock:
            lines = list(islice(self._log, LOG_BATCH))
            log_start, log_end = self._first, self._first + len(lines)
            everything = len(lines) == len(self._log)
            dropped, checkpoint, version = self._dropped, self._checkpoint, self._checkpoint_version
        if dropped:
            lines.insert(0, f'[progress-app: {dropped} older log lines were dropped while the app was unreachable]')
        if lines:
            update['log'] = lines
        if checkpoint is not _NOTHING:
            update['checkpoint'] = checkpoint
        paused = self.paused
        if paused:
            update['paused'] = True
        done = self.done is not None and everything
        if done:
            update.update(self.done)
        if not update:
            return None
        return Batch(update, progress, log_start, log_end, dropped, version, paused, done)

    def sent(self, batch: Batch) -> None:
        """The app has applied `batch`."""
        self._acknowledged.update(batch.progress)
        with self._lock:
            # lines of the batch that the cap pushed out meanwhile were delivered after all: not dropped
            self._dropped -= batch.dropped + max(0, min(self._first, batch.log_end) - batch.log_start)
            for _ in range(max(0, batch.log_end - self._first)):
                self._log.popleft()
                self._first += 1
            if batch.checkpoint_version == self._checkpoint_version:
                self._checkpoint = _NOTHING
        if batch.paused:
            self.paused = False
        if batch.done:
            self.delivered = True

    def forget_progress(self) -> None:
        """The run was made anew in the app: everything is to be told again."""
        self._acknowledged.clear()
