"""The dispatcher: which queued job runs next (priority, then age) and how many run at once.

Jobs run in *serving loops*: a loop is a thread that takes the next queued job, runs it, and takes the next,
until the queue stays empty for `LINGER_SECONDS`. At most `limit` loops count, so at most `limit` jobs run; a
paused job keeps its loop (and so its slot), like a suspended process.

Starting a loop per job (as handing every job to APScheduler on its own did) cost more than running a trivial job;
with loops, a busy queue starts no thread at all. A job leaves the queue when it is handed to a loop (one woken or
started for it), not when that loop's thread gets to it, so queue positions change at once.

A job being cancelled may never reach a check point (a `time.sleep`, a blocking call): Python cannot stop its
thread. Its loop is *abandoned*: it stops counting, so another loop takes its slot and the queue goes on, and it
ends when its job returns instead of taking more. That is why loops are threads of their own rather than threads
of a bounded pool (stuck ones would use it up) and daemon threads (a stuck one must not keep the process alive).
"""

from __future__ import annotations

import bisect
import itertools
import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from typing import Any

log = logging.getLogger(__name__)
LINGER_SECONDS = 5.0  # an idle loop waits this long for work before its thread ends


def start_thread(target: Callable[[], None]) -> None:
    threading.Thread(target=target, name='progress-app-serve', daemon=True).start()


class Dispatcher:
    def __init__(self, run: Callable[[int], None], limit: int,
                 start: Callable[[Callable[[], None]], None] = start_thread) -> None:
        """`run(job_id)` runs one job to its end; `start(target)` runs a serving loop in a thread of its own."""
        self._run = run
        self._start = start
        self._limit = limit
        # Queued jobs as (priority, -order, id), ascending: the next to run is the last; a job's queue position is
        # the number of entries after it, found by bisection (submitting thousands must not scan the queue).
        self._queue: list[tuple[int, int, int]] = []
        self._queued: dict[int, tuple[int, int, int]] = {}
        self._running: set[int] = set()  # handed to a loop (maybe not started yet)
        self._abandoned: set[int] = set()  # jobs whose loop no longer counts: it ends when they return
        self._handoff: deque[tuple[int, int, int]] = deque()  # taken from the queue for a loop to pick up
        self._order = itertools.count()
        self._lock = threading.Lock()
        self._work = threading.Condition(self._lock)  # idle loops wait on it
        self._loops = 0  # serving loops started and not ended
        self._idle = 0  # of which waiting for work
        self._open = False

    @property
    def limit(self) -> int:
        return self._limit

    def set_limit(self, limit: int) -> None:
        """Loops beyond a lowered limit end after their current job; a raised one starts loops for queued work."""
        with self._lock:
            self._limit = limit
            self._work.notify_all()
        self.pump()

    def open(self) -> None:
        self._open = True
        self.pump()

    def close(self) -> None:
        """Stop starting jobs: idle loops end now, busy ones after their job; jobs handed to a loop that has not
        picked them up yet go back to the queue."""
        with self._lock:
            self._open = False
            while self._handoff:
                self._requeue(self._handoff.popleft())
            self._work.notify_all()

    def enqueue(self, job_id: int, priority: int) -> None:
        with self._lock:
            self._remove(job_id)
            entry = (priority, -next(self._order), job_id)
            self._queued[job_id] = entry
            bisect.insort(self._queue, entry)
        self.pump()

    def discard(self, job_id: int) -> None:
        """Forget a queued job (paused, cancelled or removed before it started)."""
        with self._lock:
            self._remove(job_id)

    def _remove(self, job_id: int) -> None:
        entry = self._queued.pop(job_id, None)
        if entry is not None:
            del self._queue[bisect.bisect_left(self._queue, entry)]

    def pump(self) -> None:
        """Hand queued jobs to idle loops, and start loops (up to the limit) for what those cannot take."""
        with self._lock:
            if not self._open or not self._queue:
                return
            wake = min(len(self._queue), self._idle - len(self._handoff))
            for _ in range(wake):
                self._hand_off()
            if wake > 0:
                self._work.notify(wake)
            start = max(0, min(len(self._queue), self._limit - self._loops))
            for _ in range(start):
                self._hand_off()
            self._loops += start
        started = 0
        try:
            for _ in range(start):
                self._start(self.serve)
                started += 1
        finally:
            if started < start:  # no thread could be started (the interpreter is shutting down): no loop runs
                with self._lock:
                    self._loops -= start - started
                    for _ in range(min(start - started, len(self._handoff))):
                        self._requeue(self._handoff.pop())

    def _requeue(self, entry: tuple[int, int, int]) -> None:
        """A job handed off but never picked up goes back to its place in the queue."""
        self._running.discard(entry[2])
        self._queued[entry[2]] = entry
        bisect.insort(self._queue, entry)

    def _hand_off(self) -> None:
        entry = self._queue.pop()
        del self._queued[entry[2]]
        self._running.add(entry[2])
        self._handoff.append(entry)

    def abandon(self, job_id: int) -> None:
        """Stop counting the loop that runs `job_id` (being cancelled, maybe stuck where no cancel reaches it):
        another loop may start in its place, and this one ends when the job returns."""
        with self._lock:
            if job_id not in self._running or job_id in self._abandoned:
                return
            self._running.discard(job_id)
            self._abandoned.add(job_id)
            self._loops -= 1
        self.pump()

    def serve(self) -> None:
        """A serving loop (in a thread of its own): run queued jobs one after another while there are any."""
        job_id = self._take(None)
        while job_id is not None:
            try:
                self._run(job_id)
            except Exception:  # the runner's own failure boundary did not hold: the loop goes on
                log.exception('running job %s failed', job_id)
            except BaseException:
                with self._lock:
                    if not self._released(job_id):
                        self._loops -= 1
                raise
            job_id = self._take(job_id)

    def _released(self, job_id: int) -> bool:
        """Free `job_id`'s slot (under the lock); True if its loop was abandoned, and so no longer counted."""
        if job_id in self._abandoned:
            self._abandoned.discard(job_id)
            return True
        self._running.discard(job_id)
        return False

    def _take(self, finished: int | None) -> int | None:
        """Release `finished`'s slot and return the next job to run, waiting up to LINGER_SECONDS for one;
        None ends the loop (closed, over the limit, or nothing to do)."""
        with self._lock:
            if finished is not None and self._released(finished):
                return None  # the loop was abandoned while its job ran: it takes nothing more
            deadline = None
            while True:
                if self._handoff:  # whichever loop comes first takes it: the loops are alike
                    return self._handoff.popleft()[2]
                if not self._open or self._loops > self._limit:
                    break
                if self._queue:
                    self._hand_off()
                    continue
                now = time.monotonic()
                deadline = deadline or now + LINGER_SECONDS
                if now >= deadline:
                    break
                self._idle += 1
                try:
                    self._work.wait(deadline - now)
                finally:
                    self._idle -= 1
            self._loops -= 1
            return None

    def positions(self) -> dict[int, int]:
        """Queue position (1 = next) of each queued job."""
        with self._lock:
            return {entry[2]: i for i, entry in enumerate(reversed(self._queue), start=1)}

    def position(self, job_id: int) -> int | None:
        """Queue position of one job (1 = next)."""
        with self._lock:
            entry = self._queued.get(job_id)
            if entry is None:
                return None
            return len(self._queue) - bisect.bisect_left(self._queue, entry)

    def busy(self) -> set[int]:
        """Jobs that loops have taken: running, paused in their worker, or about to start."""
        with self._lock:
            return set(self._running)

    def stats(self) -> dict[str, Any]:
        with self._lock:
            return {'queued': len(self._queued), 'running': len(self._running), 'limit': self._limit}
