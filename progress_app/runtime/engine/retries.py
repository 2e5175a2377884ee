"""Automatic retries: a try that fails while the job has retries left does not fail the job. The job goes back to
`scheduled` until its next try's time (`run_at`, armed as any scheduled job's, so it survives a restart), with an
`attempt_failed` event that keeps the try's error, and then goes on from its checkpoint as a Retry by hand does (a
kind that re-runs starts again). Only the last failure is a `failed` job: the one that notifies.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from progress_app.domain import attempts
from progress_app.domain.events import EventType
from progress_app.domain.status import Status

if TYPE_CHECKING:
    from progress_app.kinds.registry import Registry
    from progress_app.runtime.engine.job import Job
    from progress_app.runtime.engine.lifecycle import Lifecycle


class Retries:
    """Ends failed tries through `lifecycle`; `arm(job)` waits for a scheduled job's time (the deferred waits)."""

    def __init__(self, lifecycle: Lifecycle, kinds: Registry, *, arm: Callable[[Job], None],
                 clock: Callable[[], float] = time.time) -> None:
        self._lifecycle, self._kinds, self._arm, self._clock = lifecycle, kinds, arm, clock

    def fail(self, job: Job, data: dict[str, Any], values: dict[str, Any]) -> None:
        """Record a failed try (called under the job's lock): the job fails, or waits for its next try.
        `data` is the failure event's, `values` the job's columns as a failure sets them."""
        number = attempts.next_retry(job.options) if job.status is Status.RUNNING else None
        if number is None:
            self._lifecycle.move(job, Status.FAILED, EventType.FAILED, data={**data, 'attempt': job.attempts},
                                 values=values)
            return
        delay = attempts.retry_delay(job.options, number)
        at = self._clock() + delay
        kind = self._kinds.get(job.kind) if job.kind in self._kinds else None
        if kind is not None and kind.restart == 'rerun':  # as a Retry by hand: its work starts again
            job.forget_checkpoint()
        job.request_stop(pause_requested=False, cancel_requested=False, interrupt_requested=False)
        options = attempts.retrying(job.options, number, job.meter.elapsed(time.monotonic()))
        retries = job.options.get('retries')
        self._lifecycle.move(job, Status.SCHEDULED, EventType.ATTEMPT_FAILED,
                             data={**data, 'attempt': job.attempts, 'retry': number, 'retries': retries,
                                   'retry_at': at, 'delay_seconds': delay},
                             values={**values, 'finished_at': None, 'run_at': at, 'options': options})
        self._arm(job)
