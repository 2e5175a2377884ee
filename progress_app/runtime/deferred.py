"""Jobs that wait before they queue: until a time (`run_at`), or until another job ends (`after`).

Such a job is `scheduled`. Our job table is the truth: on every start the waits are armed again from it, and a
start time that passed while the app was down releases the job at once (its history says how late).
If the job it waits for fails or is cancelled, the waiting job is cancelled with that reason.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections import defaultdict
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from apscheduler.jobstores.base import JobLookupError

from progress_app.domain.events import EventType
from progress_app.domain.status import Status
from progress_app.errors import IllegalTransition, NotFound
from progress_app.runtime.job import Job
from progress_app.runtime.runner import ENGINES

if TYPE_CHECKING:
    from progress_app.runtime.engine import Engine

log = logging.getLogger(__name__)
RELEASE = 'progress_app.runtime.deferred:release'
RESOLVE = 'progress_app.runtime.deferred:resolve'
LATE_SECONDS = 5.0  # later than this counts as late in the job's history


def release(engine_key: str, job_id: int) -> None:
    engine = ENGINES.get(engine_key)
    if engine is not None:
        engine.deferred.release(job_id, 'its start time came')


def resolve(engine_key: str, job_id: int) -> None:
    engine = ENGINES.get(engine_key)
    if engine is not None:
        engine.deferred.resolve(job_id)


class Deferred:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.waiters: defaultdict[int, set[int]] = defaultdict(set)

    def arm(self, job: Job) -> None:
        """Start waiting for the job's start time or the job it comes after."""
        if job.run_at is not None:
            self.engine.scheduler.add_job(RELEASE, 'date', run_date=datetime.fromtimestamp(job.run_at, UTC),
                                          args=[self.engine.key, job.id], id=f'release-{job.id}',
                                          replace_existing=True, misfire_grace_time=None)
        after = job.options.get('after')
        if after is not None:
            self.waiters[after].add(job.id)
            self._resolve_later(after)  # it may have ended already

    def disarm(self, job_id: int) -> None:
        with contextlib.suppress(JobLookupError):
            self.engine.scheduler.remove_job(f'release-{job_id}')
        for waiting in self.waiters.values():
            waiting.discard(job_id)

    def on_move(self, job: Job) -> None:
        """Called on every status change; a job that ends lets its waiters go (outside its lock, in the pool)."""
        if job.status.is_terminal and self.waiters.get(job.id):
            self._resolve_later(job.id)

    def _resolve_later(self, job_id: int) -> None:
        self.engine.scheduler.add_job(RESOLVE, args=[self.engine.key, job_id], misfire_grace_time=None)

    def resolve(self, awaited_id: int) -> None:
        try:
            awaited = self.engine.service.job(awaited_id)
            status, name = awaited.status, f'job #{awaited_id}'
        except NotFound:
            status, name = Status.CANCELLED, f'job #{awaited_id} (removed)'
        if not status.is_terminal:
            return
        for job_id in sorted(self.waiters.pop(awaited_id, set())):
            if status is Status.COMPLETED:
                self.release(job_id, f'{name} completed')
            else:
                self.give_up(job_id, f'{name}, which it waited for, {status.value}')

    def start_now(self, job_id: int) -> None:
        """Queue a scheduled job at once, not waiting for its time or for the job it comes after (by hand)."""
        job = self.engine.service.job(job_id)
        if job.status is not Status.SCHEDULED:
            raise IllegalTransition(f'cannot start a job now that is {job.status.value}: only a scheduled job waits '
                                    'to start')
        self.disarm(job_id)
        self.release(job_id, 'started by hand')

    def release(self, job_id: int, reason: str) -> None:
        service = self.engine.service
        try:
            job = service.job(job_id)
        except NotFound:
            return
        data: dict[str, object] = {'reason': reason}
        if job.run_at is not None and time.time() - job.run_at > LATE_SECONDS:
            data['late_seconds'] = round(time.time() - job.run_at, 1)
        with job.lock:
            if job.status is not Status.SCHEDULED:
                return
            self.engine.lifecycle.move(job, Status.QUEUED, EventType.QUEUED, data=data)
        self.engine.dispatcher.enqueue(job.id, job.priority)

    def give_up(self, job_id: int, reason: str) -> None:
        try:
            job = self.engine.service.job(job_id)
            with job.lock:
                if job.status is Status.SCHEDULED:
                    self.engine.lifecycle.move(job, Status.CANCELLED, EventType.CANCELLED, data={'reason': reason},
                                               values={'finished_at': time.time(), 'error': f'cancelled: {reason}'})
        except (NotFound, IllegalTransition) as exc:
            log.info('job %s could not be cancelled after its predecessor ended: %s', job_id, exc)
