"""Time limits: a job whose try has run longer than its `timeout_seconds` is stopped the way Cancel stops it (its
child process group terminated, grandchildren too; a function stops at its next check point), and the runner then
records the try as failed, 'timed out after …' (domain/attempts.py), which retries count as any failure.

Only running time counts: a timer is armed for the time the try has left whenever the job starts or resumes running
and dropped when it stops running (paused, ended). The time left comes from the job's running time (its meter),
which is stored with the job, so after a restart the try goes on with what it had left.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from apscheduler.jobstores.base import JobLookupError

from progress_app.domain import attempts
from progress_app.domain.status import Status
from progress_app.runtime.engine import process
from progress_app.runtime.engine.job import Job

if TYPE_CHECKING:
    from apscheduler.schedulers.base import BaseScheduler

log = logging.getLogger(__name__)


class Timeouts:
    """Arms the time limits of running jobs on `scheduler` (in memory); `live(job_id)` is the job in memory, if any."""

    def __init__(self, scheduler: BaseScheduler, live: Callable[[int], Job | None]) -> None:
        self._scheduler, self._live = scheduler, live

    def on_move(self, job: Job) -> None:
        """Called on every status change (under the job's lock): arm the limit of a job that runs, drop it else.
        External runs are not limited: their scripts, not the app, run them."""
        if job.options.get('timeout_seconds') is None or job.is_external:
            return
        if job.status is Status.QUEUED:  # a new try comes
            job.timed_out = None
        if job.status is Status.RUNNING:
            left = attempts.timeout_left(job.options, job.meter.elapsed(time.monotonic())) or 0.0
            self._scheduler.add_job(self.check, 'date', run_date=datetime.now(UTC) + timedelta(seconds=max(left, 0)),
                                    args=[job.id], id=_timer(job.id), replace_existing=True,
                                    misfire_grace_time=None)
        else:
            with contextlib.suppress(JobLookupError):
                self._scheduler.remove_job(_timer(job.id))

    def check(self, job_id: int) -> None:
        """The job's limit may have passed: stop it if it has (it may have paused and resumed since it was armed,
        then it is armed again for what is left)."""
        job = self._live(job_id)
        if job is None:
            return
        with job.lock:
            if job.status is not Status.RUNNING or job.timed_out or job.cancel_requested:
                return
            left = attempts.timeout_left(job.options, job.meter.elapsed(time.monotonic()))
            if left is None:
                return
            if left > 0.001:
                self.on_move(job)
                return
            job.timed_out = attempts.timed_out(job.options)
            job.request_stop(cancel_requested=True)
            process.terminate_groups(job.processes)
        log.info('job %s %s: stopping it', job_id, job.timed_out)


def _timer(job_id: int) -> str:
    return f'timeout-{job_id}'
