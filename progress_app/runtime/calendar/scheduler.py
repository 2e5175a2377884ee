"""The APScheduler scheduler the engine runs on, with a shutdown that cannot race job processing."""

from __future__ import annotations

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.blocking import BlockingScheduler


class Scheduler(BackgroundScheduler):
    """A `BackgroundScheduler` whose `shutdown` waits for an in-flight processing pass.

    APScheduler 3.11 marks itself stopped *before* it takes the job-store lock. A one-shot job being
    processed at that instant is then looked up among the pending jobs only, and the scheduler thread dies
    with `JobLookupError`. Taking the (re-entrant) job-store lock around the state change lets the pass that
    holds it finish first; the thread is joined outside the lock so that it can take the lock to exit.
    """

    def shutdown(self, wait: bool = True) -> None:
        with self._jobstores_lock:
            BlockingScheduler.shutdown(self, wait)
        self._thread.join()
        del self._thread
