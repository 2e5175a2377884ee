"""The sampler: ten times a second, turns running jobs' counters into speed and ETA and publishes changes.

Jobs an open job page follows are looked at FOCUS_PER_TICK times as often (every 25 ms), for the pages only
(`publish_glimpse`): a change reaches the page within about a frame instead of up to a whole tick later, at the
cost of a few comparisons. The streams keep the tick's pace (at most ten snapshots a second per job), and speed
and ETA are measured on the tick, as every other job's.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Collection, Iterable

from progress_app.domain.status import Status
from progress_app.runtime.engine.job import Job
from progress_app.runtime.live.bus import EventBus

INTERVAL_SECONDS = 0.1
FOCUS_PER_TICK = 4
"""How many times per tick a followed job is looked at."""


class Sampler:
    def __init__(self, live_jobs: Callable[[], Iterable[Job]], bus: EventBus,
                 live_job: Callable[[int], Job | None] = lambda job_id: None) -> None:
        self._live_jobs = live_jobs
        self._live_job = live_job
        self._bus = bus
        self._seen: dict[int, tuple[float, float, str]] = {}
        self._glimpsed: dict[int, tuple[float, float, str]] = {}  # what the pages were last shown between ticks
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name='sampler', daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=5)

    def _loop(self) -> None:
        turn = 0
        while not self._stop.wait(INTERVAL_SECONDS / FOCUS_PER_TICK):
            turn = (turn + 1) % FOCUS_PER_TICK
            if turn == 0:
                self.sample(time.monotonic())
            elif focused := self._bus.focused():
                self.sample_focused(focused)

    def sample_focused(self, job_ids: Collection[int]) -> None:
        """Show the pages the followed jobs that changed since they were last looked at (between two ticks)."""
        glimpsed = {}
        for job_id in job_ids:
            job = self._live_job(job_id)
            if job is None or job.status is not Status.RUNNING:
                continue
            p = job.progress
            key = glimpsed[job_id] = (p.fraction(), p.current, p.message)
            if self._glimpsed.get(job_id, self._seen.get(job_id, key)) != key:
                self._bus.publish_glimpse(job)
        self._glimpsed = glimpsed

    def sample(self, now: float) -> None:
        seen = {}
        for job in list(self._live_jobs()):
            if job.status is not Status.RUNNING:
                continue
            p = job.progress
            fraction = p.fraction()
            job.meter.sample(now, fraction, p.current, p.index, p.unit)
            key = (fraction, p.current, p.message)
            seen[job.id] = key
            if self._seen.get(job.id) != key:
                self._bus.publish_progress(job)
        self._seen = seen
        self._glimpsed = {}
