"""Stalls (issue 17, item 4): a running job whose progress stands still far longer than its own pace is flagged
`stalled` (an event, a notification if it notifies) until its progress moves (`unstalled`). One that asked for
`on_stall: 'fail'` is stopped the way a time limit stops it (timeouts.py): its child process group terminated, a
function at its next check point, and the runner records the try as failed, 'stalled: no progress for …'.

The decision is domain/stall.py's; this applies it, once a second, to the jobs in a worker (the usage sampler's
beat), on their running time, so pauses do not count.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable

from progress_app.domain import stall
from progress_app.domain.events import Event, EventType
from progress_app.domain.status import Status
from progress_app.runtime.engine import process
from progress_app.runtime.engine.job import Job

log = logging.getLogger(__name__)


class Stalls:
    """Watches `live_jobs()` (the working ones). `event(job, type, **data)` makes a history event (written behind
    with the job's stage events), `publish` shows it; `notify(job, seconds)` tells a stall; `expected(job)` is the
    job's expected duration in seconds (None: unknown), for jobs that report no progress; `minimum`: the shortest
    stall."""

    def __init__(self, live_jobs: Callable[[], Iterable[Job]], *, event: Callable[..., Event],
                 publish: Callable[[Job, Event], None],
                 notify: Callable[[Job, float], None] = lambda job, seconds: None,
                 expected: Callable[[Job], float | None] = lambda job: None,
                 minimum: float = stall.MIN_STALL_SECONDS) -> None:
        self._live_jobs, self._event, self._publish = live_jobs, event, publish
        self._notify, self._expected, self._minimum = notify, expected, minimum
        self._watches: dict[int, stall.StallWatch] = {}

    def check(self, now: float) -> None:
        """Look at every running job (at monotonic time `now`)."""
        running = [job for job in list(self._live_jobs()) if job.status is Status.RUNNING]
        for job_id in set(self._watches) - {job.id for job in running}:
            del self._watches[job_id]  # paused or ended: the watch starts afresh when it runs again
        for job in running:
            watch = self._watches.get(job.id)
            if watch is None:  # one paused while stalled is still stalled until it moves
                watch = self._watches[job.id] = stall.StallWatch(self._minimum, stalled=job.stalled_since is not None)
            p = job.progress
            seconds = job.meter.elapsed(now)
            change = watch.see(seconds, (p.index, p.fraction(), p.current), self._expected(job), p.current)
            if change == 'stalled':  # one without progress is past twice its usual time: `overdue` tells that
                self._stalled(job, watch.still_for(seconds), tell=watch.moves > 0)
            elif change == 'unstalled':
                self._unstalled(job)

    def on_move(self, job: Job) -> None:
        """Called on every status change: a job that stops running is not stalled any more (a paused one stays
        flagged until it moves); a new try may fail for a stall again."""
        if job.status is Status.QUEUED and job.timed_out and job.timed_out.startswith('stalled'):
            job.timed_out = None
        if job.stalled_since is not None and job.status not in (Status.RUNNING, Status.PAUSED):
            job.stalled_since = None

    def _stalled(self, job: Job, seconds: float, tell: bool = True) -> None:
        fail = job.options.get('on_stall') == 'fail' and not job.is_external
        with job.lock:
            if job.status is not Status.RUNNING:
                return
            job.stalled_since = time.time() - seconds
            event = self._event(job, EventType.STALLED, seconds=round(seconds, 1), on_stall='fail' if fail else 'warn')
            job.unsaved_events.append(event)
            if fail and not (job.timed_out or job.cancel_requested):
                job.timed_out = stall.stalled_words(seconds)
                job.request_stop(cancel_requested=True)
                process.terminate_groups(job.processes)
        log.info('job %s stalled: no progress for %.0f s%s', job.id, seconds, ', stopping it' if fail else '')
        self._publish(job, event)
        if tell:
            self._notify(job, seconds)

    def _unstalled(self, job: Job) -> None:
        with job.lock:
            if job.stalled_since is None:
                return
            seconds = time.time() - job.stalled_since
            job.stalled_since = None
            event = self._event(job, EventType.UNSTALLED, seconds=round(seconds, 1))
            job.unsaved_events.append(event)
        self._publish(job, event)
