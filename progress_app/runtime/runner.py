"""The runner: executes one job in a worker thread. Its `except Exception` is the one failure boundary."""

from __future__ import annotations

import logging
import time
import traceback
from typing import TYPE_CHECKING, Any

from pydantic_core import to_jsonable_python

from progress_app.domain.events import EventType
from progress_app.domain.status import Status
from progress_app.errors import JobCancelled, JobInterrupted, JobStopped
from progress_app.runtime.context import JobContext
from progress_app.runtime.logfile import JobLog

if TYPE_CHECKING:
    from progress_app.runtime.engine import Engine
    from progress_app.runtime.job import Job

ENGINES: dict[str, Engine] = {}
"""Engines of this process by key: APScheduler calls its jobs by name with the key as an argument."""
logger = logging.getLogger(__name__)


class Runner:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._logs_dir = engine.settings.logs_dir  # properties that build a new Path on every call
        self._outputs_dir = engine.settings.outputs_dir

    def run(self, job_id: int) -> None:
        """Run a queued job to its end (or its interruption). A job that was paused, cancelled or removed since
        it was taken from the queue, or that the stopping engine interrupted before it started, stays as it is."""
        job = self.engine.jobs.get(job_id)
        if job is not None and job.status is Status.QUEUED and not job.interrupt_requested:
            self._run(job)

    def _run(self, job: Job) -> None:
        engine, lifecycle = self.engine, self.engine.lifecycle
        attempt = job.attempts + 1
        resuming = job.checkpoint_values() is not None
        with job.lock:
            if job.status is not Status.QUEUED:
                return
            job.in_worker = True
            engine.working[job.id] = job
            try:
                lifecycle.move(job, Status.RUNNING, EventType.STARTED, data={'attempt': attempt, 'resuming': resuming},
                               values={'attempts': attempt, 'started_at': job.started_at or time.time()})
            except BaseException:
                self._leave(job)
                raise
        log = JobLog(self._logs_dir / f'{job.id}.log', engine.settings.log_max_bytes)
        log.note(f'[progress-app] attempt {attempt} started' + (' (resuming from checkpoint)' if resuming else ''))
        ctx = JobContext(job, lifecycle=lifecycle, log=log, output_root=self._outputs_dir, orphans=engine.orphans)
        try:
            if job.progress.index < 0:
                lifecycle.enter_stage(job, 0)
            result = engine.kinds.get(job.kind).call(ctx, job.params)
        except JobStopped as stop:
            with job.lock:  # held while the outcome is recorded: nobody abandons the job in between
                if not self._ignored(job, stop):
                    self._stopped(job, stop, log)
        except Exception as exc:
            with job.lock:
                if self._ignored(job, exc):
                    pass
                elif job.cancel_requested or job.interrupt_requested:  # an error caused by killing its child process
                    self._stopped(job, JobCancelled() if job.cancel_requested else JobInterrupted(), log)
                else:
                    self._fail(job, exc, log)
        else:
            with job.lock:
                if not self._ignored(job, result):
                    self._complete(job, result, log)
        finally:
            self._leave(job)
            log.close()

    @staticmethod
    def _ignored(job: Job, outcome: Any) -> bool:
        """An abandoned job's outcome is only logged: its record was written without it (see Engine.stop)."""
        if job.abandoned:
            logger.warning('job %s returned after it was abandoned (it is %s); ignored: %r', job.id,
                           job.status.value, outcome)
        return job.abandoned

    def abandon(self, job: Job) -> None:
        """Record a job whose thread did not get to a check point while the app stopped, as if it had: interrupted
        (cancelled, if it was being cancelled). Its thread runs on unwatched; what it ends with is only logged."""
        with job.lock:
            if not job.in_worker or job.status.is_terminal or job.abandoned:
                return
            log = JobLog(self._logs_dir / f'{job.id}.log', self.engine.settings.log_max_bytes)
            try:
                log.write('[progress-app] it did not reach a check point in time: the app stops without it')
                self._stopped(job, JobCancelled() if job.status is Status.CANCELLING else JobInterrupted(), log)
            finally:
                log.close()
                job.abandoned = True
        logger.warning('job %s did not reach a check point in time; it is left behind as %s', job.id,
                       job.status.value)
        self.engine.dispatcher.abandon(job.id)

    def _leave(self, job: Job) -> None:
        """The job leaves its worker. Stage events not yet written (only a status change writes them at once)
        go to the recorder, which looks at working jobs only."""
        job.in_worker = False
        self.engine.working.pop(job.id, None)
        if job.unsaved_events and not job.abandoned:
            with job.lock:
                leftover, job.unsaved_events = job.unsaved_events, []
            for event in leftover:
                self.engine.recorder.enqueue(event)

    def _stopped(self, job: Job, stop: JobStopped, log: JobLog) -> None:
        lifecycle = self.engine.lifecycle
        if isinstance(stop, JobInterrupted) and job.status is not Status.CANCELLING:
            if (job.status is Status.RUNNING and self.engine.kinds.get(job.kind).restart == 'rerun'
                    and job.params.get('on_interrupt') == 'fail'):  # as recovery does after a crash
                error = 'interrupted by a shutdown of the app (the job asked not to re-run: on_interrupt=fail)'
                log.write(f'[progress-app] {error}')
                lifecycle.move(job, Status.FAILED, EventType.FAILED, data={'error': error, 'stage': job.progress.stage},
                               values={'finished_at': time.time(), 'error': error, 'error_stage': job.progress.stage},
                               before=[lifecycle.event(job, EventType.INTERRUPTED, reason='shutdown', resume='no')])
                return
            log.write('[progress-app] interrupted by shutdown; it goes on at the next start')
            if job.status is Status.RUNNING:  # a paused job stays paused
                lifecycle.move(job, Status.QUEUED, EventType.INTERRUPTED, data={'reason': 'shutdown'})
            return
        log.write('[progress-app] cancelled')
        lifecycle.move(job, Status.CANCELLED, EventType.CANCELLED, values={'finished_at': time.time()})

    def _complete(self, job: Job, result: Any, log: JobLog) -> None:
        stored = to_jsonable_python(result, fallback=repr)
        log.note('[progress-app] completed')
        self.engine.lifecycle.move(job, Status.COMPLETED, EventType.COMPLETED, data={'result': stored},
                                   values={'result': stored, 'finished_at': time.time(), 'error': None,
                                           'error_stage': None, 'traceback': None})

    def _fail(self, job: Job, exc: Exception, log: JobLog) -> None:
        stage = job.progress.stage
        job.progress.fail_stage()
        text = ''.join(traceback.format_exception(exc))
        message = f'{type(exc).__name__}: {exc}' if str(exc) else type(exc).__name__
        log.write(text.rstrip())
        self.engine.lifecycle.move(job, Status.FAILED, EventType.FAILED, data={'error': message, 'stage': stage},
                                   values={'finished_at': time.time(), 'error': message, 'error_stage': stage,
                                           'traceback': text})
