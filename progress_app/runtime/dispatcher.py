"""The dispatcher: which queued job runs next (priority, then age) and how many run at once.

Jobs are handed to APScheduler's thread pool by reference to a module-level function, as APScheduler 3
requires; a paused job keeps its worker (and its slot), like a suspended process.
"""

from __future__ import annotations

import heapq
import itertools
import threading
from typing import Any

from apscheduler.schedulers.base import BaseScheduler

RUN_JOB = 'progress_app.runtime.runner:run_job'


class Dispatcher:
    def __init__(self, scheduler: BaseScheduler, engine_key: str, limit: int) -> None:
        self._scheduler = scheduler
        self._engine_key = engine_key
        self._limit = limit
        self._heap: list[tuple[int, int, int]] = []  # (-priority, order, job id)
        self._queued: dict[int, tuple[int, int, int]] = {}
        self._running: set[int] = set()
        self._order = itertools.count()
        self._lock = threading.Lock()
        self._open = False

    @property
    def limit(self) -> int:
        return self._limit

    def set_limit(self, limit: int) -> None:
        with self._lock:
            self._limit = limit
        self.pump()

    def open(self) -> None:
        self._open = True
        self.pump()

    def close(self) -> None:
        self._open = False

    def enqueue(self, job_id: int, priority: int) -> None:
        with self._lock:
            entry = (-priority, next(self._order), job_id)
            self._queued[job_id] = entry
            heapq.heappush(self._heap, entry)
        self.pump()

    def discard(self, job_id: int) -> None:
        """Forget a queued job (paused, cancelled or removed before it started)."""
        with self._lock:
            self._queued.pop(job_id, None)

    def release(self, job_id: int) -> None:
        with self._lock:
            self._running.discard(job_id)
        self.pump()

    def pump(self) -> None:
        handoff = []
        with self._lock:
            while self._open and self._heap and len(self._running) < self._limit:
                entry = heapq.heappop(self._heap)
                if self._queued.get(entry[2]) != entry:
                    continue  # discarded or re-queued with another priority
                del self._queued[entry[2]]
                self._running.add(entry[2])
                handoff.append(entry[2])
        for job_id in handoff:
            self._scheduler.add_job(RUN_JOB, args=[self._engine_key, job_id], id=f'run-{job_id}-{next(self._order)}',
                                    misfire_grace_time=None, coalesce=True)

    def positions(self) -> dict[int, int]:
        """Queue position (1 = next) of each queued job."""
        with self._lock:
            ordered = sorted(self._queued.values())
        return {entry[2]: i for i, entry in enumerate(ordered, start=1)}

    def position(self, job_id: int) -> int | None:
        """Queue position of one job, without sorting the queue (submitting thousands stays linear)."""
        with self._lock:
            entry = self._queued.get(job_id)
            if entry is None:
                return None
            return 1 + sum(1 for other in self._queued.values() if other < entry)

    def stats(self) -> dict[str, Any]:
        with self._lock:
            return {'queued': len(self._queued), 'running': len(self._running), 'limit': self._limit}
