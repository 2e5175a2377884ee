"""`JobService`: the one face of the runtime that the API, the UI and scripts use. It never hands out database rows.

Besides its own methods it offers named collaborators: `schedules` (the user's schedules), `runs` (external runs:
scripts that report into a job), `tokens` (API tokens), `user_settings` (preferences), `files` (a job's log and
outputs), `uploads` (files sent to the app, removed with the jobs that use them) and `browser` (folder listings for
the file picker, within the allowed folders); the engine behind it is private.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from progress_app.config import Settings
from progress_app.domain import attempts, stall
from progress_app.domain.events import EventType
from progress_app.domain.limits import NAME_MAX, PRIORITY_HIGHEST, PRIORITY_LOWEST, name_fits, priority_fits
from progress_app.domain.status import FINISHED_NAMES, Status, transition
from progress_app.errors import IllegalTransition, InvalidParams, NotFound, UnreadableJob
from progress_app.kinds.registry import JobKind
from progress_app.runtime import history
from progress_app.runtime.calendar.schedules import Schedules
from progress_app.runtime.engine import process
from progress_app.runtime.engine.creation import create_job
from progress_app.runtime.engine.engine import Engine
from progress_app.runtime.engine.job import Job
from progress_app.runtime.engine.recovery import job_from_row
from progress_app.runtime.files.browse import FolderBrowser
from progress_app.runtime.files.downloads import Download
from progress_app.runtime.files.uploads import Uploads, uploads_dir
from progress_app.runtime.live.side import LiveSide
from progress_app.runtime.runs import Runs
from progress_app.runtime.settings.notify import destinations
from progress_app.runtime.settings.preferences import Preferences, overridden
from progress_app.runtime.settings.tokens import TokenStore

STOP_WAIT_SECONDS = 5.0
PAUSE_WAIT_SECONDS = 2.0


class JobService(LiveSide):
    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self.tokens = TokenStore(engine.repo)
        self.user_settings = engine.user_settings
        self.files = engine.files
        self.schedules = Schedules(engine.calendar, engine.key, check=self.checked_params, submit=self.submit_fields,
                                   active=self._schedule_runs, cancel=lambda job_id: self.cancel(job_id, wait=0))
        self.runs = Runs(engine.external, self.job)
        self.uploads = Uploads(uploads_dir(engine.settings.data_dir), exists=engine.repo.get_job,
                               limit=lambda: self.settings_value('upload_limit_mb') * 1_000_000)
        self.browser = FolderBrowser(self.allowed_dirs)
        self._lock = threading.Lock()

    # -- running -----------------------------------------------------------------------------------------------
    def startup(self) -> None:
        """Open the database, recover unfinished jobs and start running them and the schedules."""
        self.schedules.open()
        self._engine.start()
        self.uploads.sweep()

    def shutdown(self, timeout: float = 10.0) -> None:
        """Interrupt running jobs (they resume on the next start; see Engine.stop) and flush everything."""
        self._engine.stop(timeout)
        self.schedules.close()

    def check_database(self) -> None:
        """Claim the database (one app per database) and create or check its schema; raises ProgressAppError (one
        clear line) if it cannot be used."""
        self._engine.check_database()

    @property
    def config(self) -> Settings:
        """The start-up settings (paths, password, allowed folders given on the command line), for reading."""
        return self._engine.settings

    # -- reading -----------------------------------------------------------------------------------------------
    def kinds(self) -> list[dict[str, Any]]:
        return [kind.describe() for kind in self._engine.kinds.all() if kind.listed]

    def executor_info(self) -> dict[str, Any]:
        """Where job functions run: {'executor': 'threads' | 'processes' | 'tcp://…', 'workers': n, 'address': the
        Dask scheduler's, 'dashboard': url}."""
        return self._engine.executor.describe()

    def plugins(self) -> dict[str, Any]:
        """What the start found: plugin kinds loaded, plugin files that failed (PluginProblem) and recovery
        problems (text)."""
        engine = self._engine
        return {'kinds': list(engine.plugin_kinds), 'problems': list(engine.plugin_problems),
                'recovery': list(engine.recovery_problems)}

    def job(self, job_id: int) -> Job:
        """The live object of a job (for reading on the event loop); loaded from the store if not in memory."""
        return self._engine.job(job_id)

    def get(self, job_id: int) -> dict[str, Any]:
        return self._snapshot(self.job(job_id))

    def list(self, *, status: Iterable[str] = (), kind: str | None = None, search: str | None = None,
             limit: int = 50, offset: int = 0, running_first: bool = False) -> dict[str, Any]:
        rows, total = self._engine.repo.list_jobs(status=list(status), kind=kind, search=search, limit=limit,
                                                  offset=offset, running_first=running_first)
        positions = self._engine.dispatcher.positions()
        items, unreadable = [], []
        for row in rows:
            job = self._engine.live(row['id'])
            if job is None:
                try:
                    job = job_from_row(row | {'last_seq': 0})
                except ValueError as exc:
                    unreadable.append({'id': row['id'], 'name': str(row.get('name')), 'error': str(exc)})
                    continue
            items.append(self._snapshot(job, positions))
        return {'items': items, 'total': total, 'unreadable': unreadable}

    def stats(self) -> dict[str, int]:
        counts = self._engine.repo.count_by_status()
        out = {status.value: counts.get(status.value, 0) for status in Status}
        out['total_processed'] = sum(counts.get(s, 0) for s in FINISHED_NAMES)
        return out

    def finished(self, *, status: Iterable[str] = (), kind: str | None = None, search: str | None = None,
                 since: float | None = None, sort: str = 'finished_at', descending: bool = True, limit: int = 50,
                 offset: int = 0) -> dict[str, Any]:
        return history.finished_page(self._engine.repo, status=status, kind=kind, search=search, since=since,
                                     sort=sort, descending=descending, limit=limit, offset=offset)

    def history(self, since: float | None = None, kind: str | None = None, *, bucket: str = 'day',
                now: float | None = None) -> dict[str, Any]:
        return history.report(self._engine.repo, since, kind, bucket=bucket, now=now)

    def events(self, job_id: int, since: int = 0) -> list[dict[str, Any]]:
        self.job(job_id)
        return self._engine.repo.events(job_id, since)

    # -- changing ----------------------------------------------------------------------------------------------
    def submit(self, kind: str, params: Mapping[str, Any] | None = None, *, name: str | None = None,
               priority: int = 0, options: Mapping[str, Any] | None = None, run_at: float | None = None,
               after: int | None = None, schedule_id: str | None = None,
               late_seconds: float | None = None) -> dict[str, Any]:
        """Validate and store a new job (durably) and queue it — or, with `run_at` (epoch seconds) or `after`
        (another job's id), keep it `scheduled` until then. Raises InvalidParams or KindNotFound."""
        job_kind, clean = self.checked_params(kind, params)
        if options and 'notify_to' in options:  # where this job's notifications go: URLs Apprise takes, or none
            options = {k: v for k, v in options.items() if k != 'notify_to'} | destinations(options)
        problems = []
        if name is not None and not name_fits(name):
            problems.append(InvalidParams.problem('name', f'must be 1 to {NAME_MAX} characters'))
        if not priority_fits(priority):
            problems.append(InvalidParams.problem(
                'priority', f'must be a whole number from {PRIORITY_LOWEST} to {PRIORITY_HIGHEST}'))
        try:
            stages = job_kind.stages_for(clean)
        except ValueError as exc:
            problems.append(InvalidParams.problem(['params', 'stages'], str(exc)))
        problems.extend(self._deferral_problems(run_at, after))
        problems.extend(attempts.problems(options or {}))  # timeout_seconds, retries, retry_delay_seconds
        problems.extend(stall.problems(options or {}))
        if problems:
            raise InvalidParams(problems)
        job = create_job(self._engine, kind, clean, stages, name=(name or job_kind.title).strip(), priority=priority,
                         options={**(options or {}), 'stages_declared': job_kind.stages_declared}, run_at=run_at,
                         after=after, schedule_id=schedule_id, late_seconds=late_seconds)
        self.uploads.claim(job.id, clean)
        return self._snapshot(job, look_for_output=False)  # a new job has no output folder yet

    def _deferral_problems(self, run_at: float | None, after: int | None) -> list[dict[str, Any]]:
        if run_at is not None and after is not None:
            return [InvalidParams.problem('after', 'give either run_at or after, not both')]
        if after is not None:
            try:
                self.job(after)
            except NotFound:
                return [InvalidParams.problem('after', f'job {after} does not exist')]
        return []

    def pause(self, job_id: int, wait: float = PAUSE_WAIT_SECONDS) -> dict[str, Any]:
        job = self.job(job_id)
        lifecycle = self._engine.lifecycle
        with job.lock:
            transition(job.status, Status.PAUSED, 'pause')
            if not self._engine.kinds.get(job.kind).pausable and job.status is Status.RUNNING:
                raise IllegalTransition(f"cannot pause a running '{job.kind}' job: this kind does not support it")
            if job.status is Status.QUEUED:
                self._engine.dispatcher.discard(job.id)
                lifecycle.move(job, Status.PAUSED, EventType.PAUSED, action='pause')
                return self.get(job_id)
            job.request_stop(pause_requested=True)
            if job.processes:  # OS-level pause of the child process groups, effective at once
                process.signal_groups(job.processes, process.signal.SIGSTOP)
                lifecycle.move(job, Status.PAUSED, EventType.PAUSED, action='pause')
            else:
                job.wakeup.wait_for(lambda: job.status is not Status.RUNNING, timeout=wait)
        return self.get(job_id)

    def resume(self, job_id: int) -> dict[str, Any]:
        job = self.job(job_id)
        lifecycle = self._engine.lifecycle
        with job.lock:
            if job.status is Status.RUNNING and job.pause_requested:  # resumed before the pause took effect
                job.request_stop(pause_requested=False)
                return self.get(job_id)
            if job.status is not Status.PAUSED:  # the table also has queued <- cancelled, which is retry's
                raise IllegalTransition(f'cannot resume a job that is {job.status.value}: it is not paused')
            if job.in_worker or job.is_external:  # an external run's script waits for the word
                lifecycle.move(job, Status.RUNNING, EventType.RESUMED, action='resume')
                job.request_stop(pause_requested=False)
                process.signal_groups(job.processes, process.signal.SIGCONT)
                return self.get(job_id)
            job.request_stop(pause_requested=False)
            lifecycle.move(job, Status.QUEUED, EventType.RESUMED, action='resume')
        self._engine.dispatcher.enqueue(job.id, job.priority)
        return self.get(job_id)

    def cancel(self, job_id: int, wait: float = STOP_WAIT_SECONDS) -> dict[str, Any]:
        """Cancel a job. One in a worker is `cancelling` until its next check point (waited for up to `wait` s); its
        slot goes to the next queued job at once, so one that never gets there (stuck in a sleep) holds nothing up."""
        job = self.job(job_id)
        engine = self._engine
        with job.lock:
            if job.status is not Status.CANCELLING:  # asked again: wait as the first time did
                transition(job.status, Status.CANCELLED, 'cancel')
                if not job.in_worker and not job.is_external:  # an external run's script stops itself
                    engine.dispatcher.discard(job.id)
                    engine.deferred.disarm(job.id)
                    engine.lifecycle.move(job, Status.CANCELLED, EventType.CANCELLED, action='cancel',
                                          values={'finished_at': time.time()})
                    return self.get(job_id)
                job.cancel_requested_at = time.time()  # set first: the snapshot the move publishes shows it
                try:
                    engine.lifecycle.move(job, Status.CANCELLING, EventType.CANCELLING, action='cancel')
                except BaseException:
                    job.cancel_requested_at = None
                    raise
                job.request_stop(cancel_requested=True)
                process.terminate_groups(job.processes)
        engine.dispatcher.abandon(job.id)
        with job.lock:
            job.wakeup.wait_for(lambda: job.status.is_terminal, timeout=wait)
        return self.get(job_id)

    def start(self, job_id: int) -> dict[str, Any]:
        """Start a scheduled job now (it joins the queue) instead of at its time or after its predecessor."""
        self._engine.deferred.start_now(job_id)
        return self.get(job_id)

    def run_again(self, job_id: int) -> dict[str, Any]:
        """A new job with the kind, parameters, name, priority and notify choice of this one, which stays as it is
        (retry, by contrast, goes on with the same job from its checkpoint)."""
        job = self._engine.external.refuse_restart(self.job(job_id))
        return self.submit_fields({'kind': job.kind, 'params': job.params, 'name': job.name,
                                   'priority': job.priority, 'notify': job.options.get('notify'),
                                   **attempts.policy(job.options), **stall.option(job.options),
                                   'notify_to': job.options.get('notify_to')})

    def submit_fields(self, fields: Mapping[str, Any], **extra: Any) -> dict[str, Any]:
        """`submit` from a stored job definition (kind, params, name, priority, notify, time limit and retries): Run
        again, and a schedule's runs. `extra`: schedule_id, late_seconds, after, options."""
        notify = fields.get('notify')  # schedules stored before notify existed have none
        options = {**attempts.policy(fields), **stall.option(fields), **destinations(fields),
                   **({} if notify is None else {'notify': notify}), **extra.pop('options', {})}
        return self.submit(fields['kind'], fields['params'], name=fields['name'], priority=fields['priority'],
                           options=options, **extra)

    def _schedule_runs(self, schedule_id: str) -> list[tuple[int, str]]:
        """The unfinished jobs a schedule started, as (id, status), oldest first."""
        return sorted((job.id, job.status.value) for job in list(self._engine.jobs.values())
                      if job.schedule_id == schedule_id and not job.status.is_terminal)

    def retry(self, job_id: int) -> dict[str, Any]:
        """Queue a failed or cancelled job again; it goes on from its last checkpoint."""
        job = self._engine.external.refuse_restart(self.job(job_id))
        kind = self._engine.kinds.get(job.kind) if job.kind in self._engine.kinds else None
        with job.lock:
            if not job.status.is_terminal:  # running -> queued exists too, but only for interruptions
                raise IllegalTransition(f'cannot retry a job that is {job.status.value}: it has not ended')
            transition(job.status, Status.QUEUED, 'retry')
            job.request_stop(pause_requested=False, cancel_requested=False, interrupt_requested=False)
            job.cancel_requested_at = None
            if kind is not None and kind.restart == 'rerun':
                job.forget_checkpoint()
            self._engine.remember(job)
            self._engine.lifecycle.move(job, Status.QUEUED, EventType.RETRIED, action='retry',
                                        values={'finished_at': None, 'error': None, 'error_stage': None,
                                                'traceback': None,  # its retries and time limit start again:
                                                'options': attempts.fresh_try(job.options,
                                                                              job.meter.elapsed(time.monotonic()))})
        self._engine.dispatcher.enqueue(job.id, job.priority)
        return self.get(job_id)

    def remove(self, job_id: int) -> None:
        """Delete a job with its history, log and outputs (cancelling it first if it runs). A job whose stored
        row is damaged can be removed too."""
        try:
            job = self.job(job_id)
        except UnreadableJob:
            self._engine.repo.delete_job(job_id)  # never loaded: nothing in memory runs it or waits for it
            self.files.delete(job_id)
            self.uploads.release(job_id)
            return
        if job.in_worker and not job.status.is_terminal:
            self.cancel(job_id)
            with job.lock:
                if job.in_worker and not job.status.is_terminal:  # stuck: what it ends with is not recorded
                    job.abandoned = True
        self._engine.dispatcher.discard(job_id)
        self._engine.deferred.disarm(job_id)
        self._engine.repo.delete_job(job_id)
        self._engine.forget(job_id)
        self.files.delete(job_id)
        self.uploads.release(job_id)
        self._engine.bus.publish_state(job, None, 'job_removed')

    def wait(self, job_id: int, statuses: Iterable[Status | str], timeout: float = 30.0) -> dict[str, Any]:
        """Block until the job reaches one of `statuses` (for scripts and tests); raises TimeoutError."""
        wanted = {Status(s) for s in statuses}
        job = self.job(job_id)
        with job.lock:
            if not job.wakeup.wait_for(lambda: job.status in wanted, timeout=timeout):
                raise TimeoutError(f'job {job_id} is {job.status.value}, not {sorted(wanted)}, after {timeout} s')
        return self.get(job_id)

    def _snapshot(self, job: Job, positions: dict[int, int] | None = None,
                  look_for_output: bool = True) -> dict[str, Any]:
        if job.status is Status.QUEUED:
            job.queue_position = (positions.get(job.id) if positions is not None
                                  else self._engine.dispatcher.position(job.id))
        else:
            job.queue_position = None
        if look_for_output and not job.has_output:
            job.has_output = self.files.output_dir(job.id).is_dir()
        return job.snapshot()

    # -- the user's settings and a job's files (the collaborators' own methods, by their usual names) ------------
    def preferences(self) -> Preferences:
        return self.user_settings.preferences()

    def settings_value(self, name: str) -> Any:
        return self.user_settings.value(name)

    def preferences_given_at_start(self) -> dict[str, str]:
        """The preferences a flag or variable fixed for this run (name → flag), which win over a saved change."""
        return overridden(self.config)

    def update_preferences(self, **changes: Any) -> Preferences:
        """Validate, store and apply changed preferences; raises InvalidParams naming the bad field."""
        return self.user_settings.update(**changes)

    def allowed_dirs(self) -> Sequence[Path] | None:
        """The folders jobs may read and write, resolved; None: any folder."""
        return self.user_settings.allowed_dirs()

    def checked_params(self, kind: str, params: Mapping[str, Any] | None) -> tuple[JobKind, dict[str, Any]]:
        return self.user_settings.checked_params(kind, params)

    def check_kind_allowed(self, kind: str) -> None:
        self.user_settings.check_kind_allowed(kind)

    def send_test_notification(self, urls: list[str] | None = None) -> int:
        return self.user_settings.send_test(urls)

    def last_notification_error(self) -> dict[str, Any] | None:
        """`{at, message, job_id}` of the latest job notification that could not be delivered, or None."""
        return self._engine.notifier.last_error()

    def log(self, job_id: int, offset: int = 0, tail: int | None = None) -> tuple[str, int]:
        return self.files.log(job_id, offset, tail)

    def log_path(self, job_id: int) -> Path:
        return self.files.log_path(job_id)

    def result_file(self, job_id: int) -> Download:
        return self.files.result_file(job_id)
