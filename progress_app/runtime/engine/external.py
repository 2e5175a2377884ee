"""External runs (issue 14): jobs that a script outside the app runs and reports into over HTTP.

`open` starts a run, or goes on with the run of a resume key; `report` applies a batch of updates — progress
through the job's own Progress (so the sampler's Meter gives speed and ETA as for any job), lines to its JobLog,
checkpoints committed before the answer, `paused`/`done` as status moves (durable before shown) — and answers
with `control`; `check_leases` (every ~2 s) ends the runs whose script went silent, and a later report from such
a script takes its run up again. Active runs are `working` jobs (the recorder writes them, the sampler measures
them); the dispatcher never runs one, recovery leaves them as they are (`adopt`)."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

from pydantic_core import to_jsonable_python

from progress_app.domain.events import Event, EventType
from progress_app.domain.lease import Leases
from progress_app.domain.progress import StageState, make_stages
from progress_app.domain.report import Ending, RunOpen, Update, control, ending
from progress_app.domain.status import Status
from progress_app.errors import IllegalTransition, InvalidParams
from progress_app.kinds.external import KIND
from progress_app.runtime.engine.job import Job
from progress_app.runtime.engine.lifecycle import Lifecycle
from progress_app.runtime.files.logfile import JobLog
from progress_app.store.repository import Repository

log = logging.getLogger(__name__)

LEASE_CHECK_SECONDS = 2.0
MESSAGE_MAX = 500  # as ctx.message()
RESTART_REFUSED = ('an external run is started by its script: run it again (with the same resume_key to go on from '
                   'its checkpoint)')
WATCHED = (Status.RUNNING, Status.PAUSED, Status.CANCELLING)
"""The statuses of a run whose script is expected to report."""


class ExternalRuns:
    """Handed the store, the lifecycle and where jobs are: `job` finds one (loading it if need be), `live` only
    among those in memory, `remember` files a new one, `working` holds the active ones."""

    def __init__(self, *, repo: Repository, lifecycle: Lifecycle, job: Callable[[int], Job],
                 live: Callable[[int], Job | None], remember: Callable[[Job], None], working: dict[int, Job],
                 log_file: Callable[[int], Path], log_max_bytes: int, leases: Leases | None = None,
                 clock: Callable[[], float] = time.time) -> None:
        self._repo, self._lifecycle = repo, lifecycle
        self._job, self._live, self._remember, self._working = job, live, remember, working
        self._log_file, self._log_max_bytes = log_file, log_max_bytes
        self.leases = leases or Leases()
        self._clock = clock
        self._opening = threading.Lock()  # two scripts opening the same resume key get one job

    # -- opening ------------------------------------------------------------------------------------------
    def open(self, run: RunOpen) -> tuple[Job, bool]:
        """The run's job and whether it is new; a resume key of a run that has not completed re-attaches it."""
        with self._opening:
            found = self._repo.newest_with_resume_key(run.resume_key, KIND) if run.resume_key else None
            job = None if found is None or found[1] == Status.COMPLETED.value else self._job(found[0])
            if job is None or job.status is Status.COMPLETED:
                return self._create(run), True
            with job.lock:
                attempt = job.attempts + 1
                self._reattach(job, run.facts(), {'attempt': attempt}, attempts=attempt)
                if run.total is not None:
                    job.progress.total, job.progress.unit = run.total, run.unit
            return job, False

    def _create(self, run: RunOpen) -> Job:
        now = self._clock()
        stages = make_stages(run.stages)
        options: dict[str, Any] = {'external': self._facts(run.facts(), now), 'stages_declared': bool(run.stages)}
        if run.notify is not None:
            options['notify'] = run.notify
        values = {'name': run.name, 'kind': KIND, 'status': Status.RUNNING.value, 'priority': 0, 'params': {},
                  'options': options, 'stages': [[s.name, s.weight] for s in stages],
                  'stage_states': [StageState.PENDING.value] * len(stages), 'created_at': now, 'started_at': now,
                  'attempts': 1, 'resume_key': run.resume_key, 'total': run.total, 'unit': run.unit}
        first: list[Event] = []
        new_event = self._lifecycle.new_event

        def first_events(job_id: int) -> list[Event]:
            first[:] = [new_event(job_id, 1, EventType.CREATED, kind=KIND, params={}, host=run.host, pid=run.pid),
                        new_event(job_id, 2, EventType.STARTED, attempt=1, resuming=False)]
            return first

        job_id = self._repo.create_job(values, first_events)
        job = Job(id=job_id, name=run.name, kind=KIND, status=Status.RUNNING, priority=0, params={}, stages=stages,
                  created_at=now, options=options, last_seq=len(first))
        job.started_at, job.attempts, job.resume_key = now, 1, run.resume_key
        job.meter.start(time.monotonic(), 0.0, 0.0)
        self._remember(job)
        self._watch(job)
        for event in first:
            self._lifecycle.bus.publish_state(job, event)
        self._lifecycle.enter_stage(job, 0)
        job.progress.total, job.progress.unit = run.total, run.unit
        return job

    def _reattach(self, job: Job, facts: dict[str, Any], data: dict[str, Any], attempts: int) -> None:
        """Its script is back: the run goes on (running) as the same job. Call with the job's lock held."""
        if not job.is_external:
            raise IllegalTransition(f'job {job.id} is not an external run')
        if job.status is Status.CANCELLING:  # the script that was asked to cancel is gone: that cancel is done
            self._lifecycle.move(job, Status.CANCELLED, EventType.CANCELLED, data={'reason': 'reattached'},
                                 values={'finished_at': self._clock()})
        job.options['external'] = self._facts(facts, self._clock())
        job.request_stop(pause_requested=False, cancel_requested=False)
        job.cancel_requested_at = None
        progress = job.progress
        if progress.index >= 0 and progress.stage_states[progress.index] is StageState.FAILED:
            progress.stage_states[progress.index] = StageState.RUNNING
        self._lifecycle.move(job, Status.RUNNING, EventType.REATTACHED,
                             data={'host': facts.get('host'), 'pid': facts.get('pid'), **data},
                             values={'attempts': attempts, 'options': job.options, 'finished_at': None,
                                     'error': None, 'error_stage': None, 'traceback': None})
        self._watch(job)

    @staticmethod
    def _facts(facts: dict[str, Any], now: float) -> dict[str, Any]:
        # Every key from the start: a report changes values only, never the dict's size while the writer reads it.
        return {**facts, 'last_report_at': now, 'ended': None}

    def _watch(self, job: Job) -> None:
        self._working[job.id] = job
        self.leases.renew(job.id, job.options['external']['lease_seconds'])

    def _unwatch(self, job: Job) -> None:
        self._working.pop(job.id, None)
        self.leases.forget(job.id)

    def adopt(self, jobs: Iterable[Job]) -> None:
        """At start: the active runs found in the store go on where they were; their leases count from now."""
        for job in jobs:
            if job.is_external and job.status in WATCHED:
                if job.status is Status.RUNNING:
                    job.meter.start(time.monotonic(), job.progress.fraction(), job.progress.current)
                self._watch(job)

    def forget(self, job_id: int) -> None:
        self.leases.forget(job_id)

    # -- reports ------------------------------------------------------------------------------------------
    def report(self, job: Job, updates: Sequence[Update], single: bool = False) -> str:
        """Apply a batch of updates (all or none: each is checked first) and return the control for the script.
        `single`: the body was one update, not a list (errors then name its fields without an index)."""
        if not job.is_external:
            raise IllegalTransition(f'job {job.id} is not an external run: it is run by the app, not reported into')
        with job.lock:
            facts = job.options['external']
            if job.status is Status.COMPLETED or facts.get('ended') == 'script':
                raise IllegalTransition(f'job {job.id} has ended ({job.status.value}) by its own report; open a new '
                                        'run (POST /api/runs, with the same resume_key to go on from its checkpoint)')
            self._check(job, updates, single)
            if job.status is Status.FAILED and facts.get('ended') == 'lease':
                silent = self._clock() - (facts.get('last_report_at') or self._clock())
                self._reattach(job, facts, {'after_seconds': round(silent, 1)}, attempts=job.attempts)
            if job.status.is_terminal:  # cancelled while its script was silent: it only learns so
                return self.control(job)
            facts['last_report_at'] = self._clock()
            self.leases.renew(job.id, facts['lease_seconds'])
            if updates:
                self._apply(job, updates)
            return self.control(job)

    @staticmethod
    def refuse_restart(job: Job) -> Job:
        """The job, unless it is an external run (IllegalTransition): the app cannot retry or run again those."""
        if job.is_external:
            raise IllegalTransition(RESTART_REFUSED)
        return job

    @staticmethod
    def control(job: Job) -> str:
        return control(job.status, job.pause_requested, job.cancel_requested)

    def renew(self, job: Job) -> None:
        """A script waiting for its control to change is there: its wait renews the lease as a report does."""
        if job.is_external and job.id in self.leases and job.status in WATCHED:
            job.options['external']['last_report_at'] = self._clock()
            self.leases.renew(job.id, job.options['external']['lease_seconds'])

    @staticmethod
    def _check(job: Job, updates: Sequence[Update], single: bool) -> None:
        if not job.options.get('stages_declared'):
            return
        problems = []
        for i, update in enumerate(updates):
            if update.stage is not None:
                try:
                    job.progress.stage_index(update.stage)
                except ValueError as exc:
                    problems.append(InvalidParams.problem(['stage'] if single else [i, 'stage'], str(exc)))
        if problems:
            raise InvalidParams(problems)

    def _apply(self, job: Job, updates: Sequence[Update]) -> None:
        joblog = JobLog(self._log_file(job.id), self._log_max_bytes)
        try:
            checkpointed = False
            for update in updates:
                self._progress(job, update, joblog)
                if update.has_checkpoint:
                    job.checkpoint_state = update.checkpoint
                    job.checkpoint_version += 1
                    checkpointed = True
                if update.paused and job.status is Status.RUNNING:
                    job.request_stop(pause_requested=True)
                    self._lifecycle.move(job, Status.PAUSED, EventType.PAUSED)
                end = ending(update)
                if end is not None:  # the move writes the checkpoint with the row; what follows `done` is moot
                    self._end(job, end, joblog)
                    return
            if checkpointed:
                self._lifecycle.save_checkpoint(job)
        finally:
            joblog.close()

    def _progress(self, job: Job, update: Update, joblog: JobLog) -> None:
        progress = job.progress
        if update.stage is not None:
            if job.options.get('stages_declared'):
                index = progress.stage_index(update.stage)
                if 0 <= progress.index < index and progress.stage_states[progress.index] is StageState.RUNNING:
                    self._lifecycle.finish_stage(job)
                if index != progress.index:
                    self._lifecycle.enter_stage(job, index)
            elif update.message is None:
                progress.message = update.stage[:MESSAGE_MAX]
        if update.sets_total:
            progress.total = update.total
        if update.unit:
            progress.unit = update.unit
        if update.current is not None:
            progress.current = update.current
        percent = update.percent_given()
        if percent is not None:
            progress.current, progress.total, progress.unit = percent, 100.0, '%'
        if update.message is not None:
            progress.message = update.message[:MESSAGE_MAX]
        for line in update.log_lines():
            joblog.write(line)

    def _end(self, job: Job, end: Ending, joblog: JobLog) -> None:
        job.options['external']['ended'] = 'script'
        values: dict[str, Any] = {'finished_at': self._clock(), 'options': job.options}
        if end.status is Status.CANCELLED:
            joblog.note('[progress-app] cancelled (the script stopped)')
            self._lifecycle.move(job, Status.CANCELLED, EventType.CANCELLED, data={'reason': 'script'},
                                 values=values)
        elif end.status is Status.COMPLETED:
            stored = to_jsonable_python(end.result, fallback=repr)
            joblog.note('[progress-app] completed')
            self._lifecycle.move(job, Status.COMPLETED, EventType.COMPLETED, data={'result': stored},
                                 values=values | {'result': stored})
        else:
            joblog.note(f'[progress-app] failed: {end.error}')
            self._fail(job, end.error or 'failed', {'exit_code': end.exit_code},
                       values | {'traceback': end.traceback})
        self._unwatch(job)

    def _fail(self, job: Job, error: str, data: dict[str, Any], values: dict[str, Any]) -> None:
        stage = job.progress.stage
        job.progress.fail_stage()
        self._lifecycle.move(job, Status.FAILED, EventType.FAILED, data={'error': error, 'stage': stage, **data},
                             values=values | {'error': error, 'error_stage': stage})

    # -- leases -------------------------------------------------------------------------------------------
    def check_leases(self) -> list[int]:
        """End the runs whose script has not reported for its lease: running or paused ones fail (a later
        report takes them up again), one being cancelled is cancelled. Returns their ids."""
        ended = []
        for run_id in self.leases.expired():
            job = self._live(run_id)
            if job is None or not job.is_external or job.status not in WATCHED:
                self.leases.forget(run_id)
                continue
            with job.lock:
                if job.status not in WATCHED or self.leases.overdue(run_id) is None:
                    continue  # it reported (or ended) meanwhile
                self._expire(job)
            ended.append(run_id)
        return ended

    def _expire(self, job: Job) -> None:
        facts = job.options['external']
        facts['ended'] = 'lease'
        values: dict[str, Any] = {'finished_at': self._clock(), 'options': job.options}
        if job.status is Status.CANCELLING:
            self._lifecycle.move(job, Status.CANCELLED, EventType.CANCELLED, data={'reason': 'lease'}, values=values)
        else:
            error = (f"no report from host {facts.get('host') or 'unknown'} pid {facts.get('pid') or 'unknown'} "
                     f"for {facts['lease_seconds']:g} s")
            self._fail(job, error, {'reason': 'lease'}, values | {'traceback': None})
        log.info('external run %s: %s', job.id, job.error or 'cancelled (its script went silent)')
        self._unwatch(job)
