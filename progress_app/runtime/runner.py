"""The runner: executes one job in a worker thread. Its `except Exception` is the one failure boundary."""

from __future__ import annotations

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
"""Engines of this process by key: APScheduler calls `serve` by name with the key as an argument."""


def serve(engine_key: str) -> None:
    """A serving loop of the dispatcher, run by APScheduler in its pool: runs queued jobs while there are any."""
    engine = ENGINES.get(engine_key)
    if engine is not None:
        engine.dispatcher.serve(engine.runner.run)


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
            self._stopped(job, stop, log)
        except Exception as exc:
            if job.cancel_requested or job.interrupt_requested:  # an error caused by killing its child process
                self._stopped(job, JobCancelled() if job.cancel_requested else JobInterrupted(), log)
            else:
                self._fail(job, exc, log)
        else:
            self._complete(job, result, log)
        finally:
            self._leave(job)
            log.close()

    def _leave(self, job: Job) -> None:
        """The job leaves its worker. Stage events not yet written (only a status change writes them at once)
        go to the recorder, which looks at working jobs only."""
        job.in_worker = False
        self.engine.working.pop(job.id, None)
        if job.unsaved_events:
            with job.lock:
                leftover, job.unsaved_events = job.unsaved_events, []
            for event in leftover:
                self.engine.recorder.enqueue(event)

    def _stopped(self, job: Job, stop: JobStopped, log: JobLog) -> None:
        lifecycle = self.engine.lifecycle
        if isinstance(stop, JobInterrupted):
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
