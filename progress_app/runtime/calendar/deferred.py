"""Jobs that wait before they queue: until a time (`run_at`), or until another job ends (`after`).

Such a job is `scheduled` (so is one that waits for an automatic retry: runtime/engine/retries.py). Our job table
is the truth: on every start the waits are armed again from it, and a start time that passed while the app was down
releases the job at once (its history says how late).
If the job it waits for fails or is cancelled, the waiting job is cancelled with that reason — unless it waits for
the end however it comes (option `after_any_end`: a schedule's run queued behind the one before).
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections import defaultdict
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from apscheduler.jobstores.base import JobLookupError

from progress_app.domain import attempts
from progress_app.domain.events import EventType
from progress_app.domain.status import Status
from progress_app.errors import IllegalTransition, NotFound
from progress_app.runtime.engine.job import Job

if TYPE_CHECKING:
    from apscheduler.schedulers.base import BaseScheduler

    from progress_app.runtime.engine.lifecycle import Lifecycle

log = logging.getLogger(__name__)
LATE_SECONDS = 5.0  # later than this counts as late in the job's history


class Deferred:
    """Waits for scheduled jobs' times (on `scheduler`, in memory) and predecessors; `job` looks a job up (raises
    NotFound), `enqueue(job_id, priority)` queues one that may go."""

    def __init__(self, scheduler: BaseScheduler, lifecycle: Lifecycle, *, job: Callable[[int], Job],
                 enqueue: Callable[[int, int], None]) -> None:
        self._scheduler, self._lifecycle = scheduler, lifecycle
        self._job, self._enqueue = job, enqueue
        self.waiters: defaultdict[int, set[int]] = defaultdict(set)

    def arm(self, job: Job) -> None:
        """Start waiting for the job's start time or the job it comes after."""
        if job.run_at is not None:
            self._scheduler.add_job(self.release, 'date', run_date=datetime.fromtimestamp(job.run_at, UTC),
                                    args=[job.id, attempts.retry_words(job.options) or 'its start time came'],
                                    id=f'release-{job.id}',
                                    replace_existing=True, misfire_grace_time=None)
        after = job.options.get('after')
        if after is not None:
            self.waiters[after].add(job.id)
            self._resolve_later(after)  # it may have ended already

    def disarm(self, job_id: int) -> None:
        with contextlib.suppress(JobLookupError):
            self._scheduler.remove_job(f'release-{job_id}')
        for waiting in self.waiters.values():
            waiting.discard(job_id)

    def on_move(self, job: Job) -> None:
        """Called on every status change; a job that ends lets its waiters go (outside its lock, in the pool)."""
        if job.status.is_terminal and self.waiters.get(job.id):
            self._resolve_later(job.id)

    def _resolve_later(self, job_id: int) -> None:
        self._scheduler.add_job(self.resolve, args=[job_id], misfire_grace_time=None)

    def resolve(self, awaited_id: int) -> None:
        try:
            awaited = self._job(awaited_id)
            status, name = awaited.status, f'job #{awaited_id}'
        except NotFound:
            status, name = Status.CANCELLED, f'job #{awaited_id} (removed)'
        if not status.is_terminal:
            return
        for job_id in sorted(self.waiters.pop(awaited_id, set())):
            if status is Status.COMPLETED or self._waits_for_any_end(job_id):
                self.release(job_id, f'{name} {status.value}')
            else:
                self.give_up(job_id, f'{name}, which it waited for, {status.value}')

    def _waits_for_any_end(self, job_id: int) -> bool:
        try:
            return bool(self._job(job_id).options.get('after_any_end'))
        except NotFound:
            return False

    def start_now(self, job_id: int) -> None:
        """Queue a scheduled job at once, not waiting for its time or for the job it comes after (by hand)."""
        job = self._job(job_id)
        if job.status is not Status.SCHEDULED:
            raise IllegalTransition(f'cannot start a job now that is {job.status.value}: only a scheduled job waits '
                                    'to start')
        self.disarm(job_id)
        self.release(job_id, 'started by hand')

    def release(self, job_id: int, reason: str) -> None:
        try:
            job = self._job(job_id)
        except NotFound:
            return
        data: dict[str, object] = {'reason': reason}
        if job.run_at is not None and time.time() - job.run_at > LATE_SECONDS:
            data['late_seconds'] = round(time.time() - job.run_at, 1)
        with job.lock:
            if job.status is not Status.SCHEDULED:
                return
            self._lifecycle.move(job, Status.QUEUED, EventType.QUEUED, data=data)
        self._enqueue(job.id, job.priority)

    def give_up(self, job_id: int, reason: str) -> None:
        try:
            job = self._job(job_id)
            with job.lock:
                if job.status is Status.SCHEDULED:
                    self._lifecycle.move(job, Status.CANCELLED, EventType.CANCELLED, data={'reason': reason},
                                         values={'finished_at': time.time(), 'error': f'cancelled: {reason}'})
        except (NotFound, IllegalTransition) as exc:
            log.info('job %s could not be cancelled after its predecessor ended: %s', job_id, exc)
