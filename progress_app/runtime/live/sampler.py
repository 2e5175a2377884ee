"""The sampler: ten times a second, turns running jobs' counters into speed and ETA and publishes changes."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable

from progress_app.domain.status import Status
from progress_app.runtime.engine.job import Job
from progress_app.runtime.live.bus import EventBus

INTERVAL_SECONDS = 0.1


class Sampler:
    def __init__(self, live_jobs: Callable[[], Iterable[Job]], bus: EventBus) -> None:
        self._live_jobs = live_jobs
        self._bus = bus
        self._seen: dict[int, tuple[float, float, str]] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name='sampler', daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=5)

    def _loop(self) -> None:
        while not self._stop.wait(INTERVAL_SECONDS):
            self.sample(time.monotonic())

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
