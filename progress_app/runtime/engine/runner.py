"""The runner: executes one job in a worker thread. Its `except Exception` is the one failure boundary."""

from __future__ import annotations

import logging
import threading
import time
import traceback
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from pydantic_core import to_jsonable_python

from progress_app.domain.events import EventType
from progress_app.domain.status import Status
from progress_app.errors import JobCancelled, JobFailed, JobInterrupted, JobStopped, TimedOut
from progress_app.runtime.engine.context import JobContext
from progress_app.runtime.files.logfile import JobLog

if TYPE_CHECKING:
    from progress_app.kinds.registry import Registry
    from progress_app.runtime.engine.job import Job
    from progress_app.runtime.engine.lifecycle import Lifecycle
    from progress_app.runtime.engine.orphans import Orphans
    from progress_app.runtime.executor import Executor
    from progress_app.runtime.files.job_files import JobFiles
    from progress_app.runtime.live.heartbeat import LoopHeartbeat

logger = logging.getLogger(__name__)


class Runner:
    """Runs the jobs it is handed by id. It is given what it works with: where the jobs are (`jobs`, `working`),
    how their status changes (`lifecycle`), their kinds, files and process groups, the loop's `heartbeat`
    (jobs take turns with the event loop through it), the `executor` their functions run on, where stage events
    not yet written go (`record`) and whom to tell about a job it leaves behind (`abandoned`). `fail(job, data,
    values)` records a failed try (the job fails, or waits for a retry); by default the job fails."""

    def __init__(self, *, jobs: dict[int, Job], working: dict[int, Job], lifecycle: Lifecycle, kinds: Registry,
                 files: JobFiles, orphans: Orphans, log_max_bytes: int, record: Callable[[Any], None],
                 abandoned: Callable[[int], None], heartbeat: LoopHeartbeat, executor: Executor,
                 fail: Callable[[Job, dict[str, Any], dict[str, Any]], None] | None = None) -> None:
        self._jobs, self._working = jobs, working
        self._lifecycle, self._kinds, self._orphans = lifecycle, kinds, orphans
        self._files, self._log_max_bytes = files, log_max_bytes
        self._record, self._abandoned = record, abandoned
        self._heartbeat = heartbeat
        self._executor = executor
        self._failed = fail or (lambda job, data, values: lifecycle.move(job, Status.FAILED, EventType.FAILED,
                                                                         data=data, values=values))

    def _log(self, job: Job) -> JobLog:
        return JobLog(self._files.log_file(job.id), self._log_max_bytes)

    def run(self, job_id: int) -> None:
        """Run a queued job to its end (or its interruption). A job that was paused, cancelled or removed since
        it was taken from the queue, or that the stopping engine interrupted before it started, stays as it is."""
        job = self._jobs.get(job_id)
        if job is not None and job.status is Status.QUEUED and not job.interrupt_requested:
            self._run(job)

    def _run(self, job: Job) -> None:
        lifecycle = self._lifecycle
        attempt = job.attempts + 1
        resuming = job.checkpoint_values() is not None
        with job.lock:
            if job.status is not Status.QUEUED:
                return
            job.in_worker = True
            self._working[job.id] = job
            if not resuming:  # the work starts again from its beginning, and so does the progress shown
                job.restart_progress()
            try:
                lifecycle.move(job, Status.RUNNING, EventType.STARTED, data={'attempt': attempt, 'resuming': resuming},
                               values={'attempts': attempt, 'started_at': job.started_at or time.time()})
            except BaseException:
                self._leave(job)
                raise
        job.thread_cpu_start, job.thread_id = time.thread_time(), threading.get_native_id()  # for its CPU time
        log = self._log(job)
        log.note(f'[progress-app] attempt {attempt} started' + (' (resuming from checkpoint)' if resuming else ''))
        ctx = JobContext(job, lifecycle=lifecycle, log=log, output_dir=self._files.output_dir(job.id),
                         orphans=self._orphans, heartbeat=self._heartbeat)
        try:
            if job.progress.index < 0:
                lifecycle.enter_stage(job, 0)
            result = self._executor.call(job, ctx, self._kinds.get(job.kind), job.params)
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
            log = self._log(job)
            try:
                log.write('[progress-app] it did not reach a check point in time: the app stops without it')
                self._stopped(job, JobCancelled() if job.status is Status.CANCELLING else JobInterrupted(), log)
            finally:
                log.close()
                job.abandoned = True
        logger.warning('job %s did not reach a check point in time; it is left behind as %s', job.id,
                       job.status.value)
        self._abandoned(job.id)

    def _leave(self, job: Job) -> None:
        """The job leaves its worker. Stage events not yet written (only a status change writes them at once)
        go to the recorder, which looks at working jobs only."""
        job.in_worker = False
        job.thread_id = None
        self._working.pop(job.id, None)
        if job.unsaved_events and not job.abandoned:
            with job.lock:
                leftover, job.unsaved_events = job.unsaved_events, []
            for event in leftover:
                self._record(event)

    def _stopped(self, job: Job, stop: JobStopped, log: JobLog) -> None:
        lifecycle = self._lifecycle
        if isinstance(stop, JobCancelled) and job.timed_out and job.status is not Status.CANCELLING:
            self._fail(job, TimedOut(job.timed_out), log)  # stopped by its time limit (timeouts.py), not by Cancel
            return
        if isinstance(stop, JobInterrupted) and job.status is not Status.CANCELLING:
            if (job.status is Status.RUNNING and self._kinds.get(job.kind).restart == 'rerun'
                    and job.params.get('on_interrupt') == 'fail'):  # as recovery does after a crash
                error = 'interrupted by a shutdown of the app (the job asked not to re-run: on_interrupt=fail)'
                log.write(f'[progress-app] {error}')
                lifecycle.move(job, Status.FAILED, EventType.FAILED, data={'error': error, 'stage': job.progress.stage},
                               values={'finished_at': time.time(), 'error': error, 'error_stage': job.progress.stage},
                               before=[lifecycle.event(job, EventType.INTERRUPTED, reason='shutdown', resume='no')])
                return
            log.write('[progress-app] interrupted by shutdown; it goes on at the next start')
            if job.status is Status.RUNNING:  # a paused job stays paused
                lifecycle.move(job, Status.QUEUED, EventType.INTERRUPTED,
                               data={'reason': 'shutdown', 'progress': job.percent})
            return
        log.write('[progress-app] cancelled')
        lifecycle.move(job, Status.CANCELLED, EventType.CANCELLED, data={'progress': job.percent},
                       values={'finished_at': time.time()})

    def _complete(self, job: Job, result: Any, log: JobLog) -> None:
        stored = to_jsonable_python(result, fallback=repr)
        log.note('[progress-app] completed')
        self._lifecycle.move(job, Status.COMPLETED, EventType.COMPLETED, data={'result': stored},
                             values={'result': stored, 'finished_at': time.time(), 'error': None,
                                     'error_stage': None, 'traceback': None})

    def _fail(self, job: Job, exc: Exception, log: JobLog) -> None:
        stage = job.progress.stage
        job.progress.fail_stage()
        message = (str(exc) if isinstance(exc, TimedOut)  # 'timed out after 2 s' says it all
                   else f'{type(exc).__name__}: {exc}' if str(exc) else type(exc).__name__)
        if isinstance(exc, JobFailed):  # expected: one line; its details are kept where a bug's traceback would be
            text = '\n'.join(filter(None, (message, exc.details)))
            log.write(f'[progress-app] failed: {message.splitlines()[0]}')
        else:
            text = ''.join(traceback.format_exception(exc))
            log.write(text.rstrip())
        self._failed(job, {'error': message, 'stage': stage, 'progress': job.percent},
                     {'finished_at': time.time(), 'error': message, 'error_stage': stage, 'traceback': text})
