"""The recorder: one writer thread that persists what jobs report, batched, behind their backs.

Every cycle (25 ms) it writes, in one transaction: the queued events (stage changes, throttled progress and
messages), the rows of jobs whose checkpoint moved (`ctx.checkpoint()`: a crash loses at most the last 25 ms;
`ctx.track()` commits its own before the next item starts), and the progress snapshots that are due. Job
threads never wait for it.

Each running job gets a snapshot (a row update and a `progress` history event, which the streams carry) once a
second, or less often when more than 25 jobs run: at most 25 a second in all, so 200 running jobs do not write
17 million history rows a day or send 200 events a second to every client (with 100 clients following all jobs,
50 a second were still a third of the event loop's work). Jobs are spread over the interval (by id) rather than
written all at once, so no cycle carries a burst.
"""

from __future__ import annotations

import functools
import logging
import math
import queue
import threading
import time
from collections.abc import Callable, Iterable

from progress_app.domain.events import Event, EventType
from progress_app.domain.status import Status
from progress_app.runtime.engine.job import Job
from progress_app.store.repository import Columns, Repository

log = logging.getLogger(__name__)

CYCLE_SECONDS = 0.025
SNAPSHOT_SECONDS = 1.0
SNAPSHOTS_PER_SECOND = 25.0
GOLDEN = 0.6180339887  # job id × this, mod 1: phases spread evenly over the interval, whatever the ids
BEAT_SLACK = 0.9  # a snapshot written up to a tenth of an interval late still keeps its job's next beat


class Recorder:
    def __init__(self, repo: Repository, live_jobs: Callable[[], Iterable[Job]]) -> None:
        self._repo = repo
        self._live_jobs = live_jobs
        self._events: queue.SimpleQueue[Event] = queue.SimpleQueue()
        self._written: dict[int, tuple[int, float, float, str]] = {}  # job id -> checkpoint version, due, …
        self._stop = threading.Event()
        self._flush_lock = threading.Lock()
        self._thread = threading.Thread(target=self._loop, name='recorder', daemon=True)
        self._make_event: Callable[..., Event] | None = None
        self._publish: Callable[[Job, Event], None] = lambda job, event: None
        self.cycles = 0

    def start(self, make_event: Callable[..., Event], publish: Callable[[Job, Event], None]) -> None:
        """`make_event` creates history events; `publish` shows the ones written here, once they are stored."""
        self._make_event = make_event
        self._publish = publish
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=10)
        self.flush()

    def enqueue(self, event: Event) -> None:
        self._events.put(event)

    def forget(self, job_id: int) -> None:
        self._written.pop(job_id, None)

    def _loop(self) -> None:
        while not self._stop.wait(CYCLE_SECONDS):
            try:
                self.flush()
            except Exception:  # the writer must outlive a bad cycle; the next one retries what is still dirty
                log.exception('recorder cycle failed')

    def flush(self) -> None:
        """Write what is due now. Called by the writer thread, and by readers that need everything stored."""
        with self._flush_lock:
            self._flush()

    def _flush(self) -> None:
        events: list[Event] = []
        while True:
            try:
                events.append(self._events.get_nowait())
            except queue.Empty:
                break
        updates: dict[int, Columns] = {}
        published: list[tuple[Job, Event]] = []
        written: dict[int, tuple[int, float, float, str]] = {}
        saved: list[tuple[Job, int]] = []
        now = time.monotonic()
        live = list(self._live_jobs())
        interval = max(SNAPSHOT_SECONDS, sum(job.status is Status.RUNNING for job in live) / SNAPSHOTS_PER_SECOND)
        for job in live:
            if job.unsaved_events:
                with job.lock:
                    events.extend(job.unsaved_events)
                    job.unsaved_events = []
            if job.status is not Status.RUNNING and job.status is not Status.PAUSED:
                continue
            if job.id not in self._written:  # its first snapshot comes at its own phase of the interval
                self._written[job.id] = (0, _beat(job.id, now, interval), -1.0, '')
            version, due_at, fraction, message = self._written[job.id]
            moved = job.checkpoint_version != version
            due = now >= due_at
            if not (moved or due):
                continue  # the common case: nothing to compute for this job in this cycle
            current_fraction = job.progress.fraction()
            changed = current_fraction != fraction or job.progress.message != message
            if not (moved or changed):
                continue
            # The version is read before the values, which are read only as the write runs (see save_many): the
            # row never goes back behind a checkpoint the job committed itself meanwhile (ctx.track()).
            version = job.checkpoint_version
            # The next one on the job's beat, and most of an interval away (the cap on snapshots a second holds):
            # jobs stay spread whatever happened (first seen while the interval was shorter, a late cycle).
            written[job.id] = (version, _beat(job.id, now + interval * BEAT_SLACK, interval) if due else due_at,
                               current_fraction if due else fraction,
                               job.progress.message if due else message)
            updates[job.id] = functools.partial(job.progress_values, now)
            saved.append((job, version))
            if due and changed and self._make_event is not None:
                with job.lock:  # a status change holds the lock: no progress event after `completed`
                    if job.status is not Status.RUNNING and job.status is not Status.PAUSED:
                        continue
                    event = self._make_event(job, EventType.PROGRESS, progress=job.percent,
                                             current=job.progress.current, total=job.progress.total,
                                             stage=job.progress.stage, message=job.progress.message)
                events.append(event)
                published.append((job, event))
        if updates or events:
            events.sort(key=lambda e: e.id)
            self._repo.save_many(updates, events, live_only=True)
            for job, event in published:
                self._publish(job, event)
            self._written.update(written)
            for job, version in saved:  # ctx.track() commits itself only what this leaves behind
                job.checkpoint_saved = max(job.checkpoint_saved, version)
            self.cycles += 1


def _beat(job_id: int, moment: float, interval: float) -> float:
    """The first time from `moment` on at the job's own phase of the interval: its snapshots are due on these beats,
    (k + phase) × interval. Counted from when the last one was written instead, the jobs written in the same cycle
    (all those first seen together, or due during a late cycle) stayed in step for good: bursts."""
    phase = job_id * GOLDEN % 1.0
    return (math.ceil(moment / interval - phase) + phase) * interval
