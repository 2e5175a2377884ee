"""What a job can expect from its earlier successful runs: how long it usually takes and how long each stage does.

When a job starts running, its earlier completed runs are looked up — those of the same schedule, or else those of
the same kind with the same parameters (an external run: the same name) — and the medians of the latest ones
(domain/estimate.py) become its `expected_seconds` and its meter's stage plan (domain/stage_eta.py), which the
sampler's ETA then uses. The runs are read from the store once per key and kept in memory (a job that completes
is added to them), so a job start costs a dictionary look-up, and a sample nothing more.

A run that has run more than twice its expected time is overdue: an event `overdue` (once), and a notification if
the job would be told of a failure. As time limits do (timeouts.py), a timer is armed for the running time left
whenever the job starts or resumes running and dropped when it stops.
"""

from __future__ import annotations

import contextlib
import json
import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from apscheduler.jobstores.base import JobLookupError

from progress_app.domain import estimate
from progress_app.domain.duration import duration
from progress_app.domain.events import EventType
from progress_app.domain.stage_eta import StagePlan
from progress_app.domain.status import Status
from progress_app.runtime.engine.job import Job

if TYPE_CHECKING:
    from apscheduler.schedulers.base import BaseScheduler

    from progress_app.runtime.engine.lifecycle import Lifecycle
    from progress_app.runtime.live.bus import EventBus
    from progress_app.store.repository import Repository

log = logging.getLogger(__name__)
KEYS_KEPT = 4096
"""Keys (schedules, kinds with parameters) whose runs are kept in memory."""
LOOKED_AT = 100
"""How many of a kind's latest completed runs a look-up reads."""


@dataclass(slots=True, frozen=True)
class Run:
    """One completed run as far as expectations go: its running seconds, and each stage's (by name)."""

    seconds: float
    stages: dict[str, float]


def run_of(row: dict[str, Any]) -> Run:
    """A Run from a stored job row's `elapsed` and `stages` (rows written before stage times have none)."""
    stages = {}
    for name, _weight, *times in row.get('stages') or []:
        if len(times) >= 3 and times[2] is not None:
            stages[name] = float(times[2])
    return Run(float(row.get('elapsed') or 0.0), stages)


def keys(kind: str, name: str, params: dict[str, Any], schedule_id: str | None) -> list[tuple[str, ...]]:
    """The keys a job's earlier runs are filed under, the one that says most first: its schedule, then its kind
    with its parameters (an external run has none: its name stands for them)."""
    identity = {'name': name} if kind == 'external' else params
    found = [('params', kind, json.dumps(identity, sort_keys=True, default=str))]
    return [('schedule', schedule_id), *found] if schedule_id else found


class Expectations:
    """Keeps the earlier runs of each key (read from `repo` once) and arms the overdue timers on `scheduler`;
    `lifecycle` and `bus` record and publish the `overdue` event, `warn(job, title, body)` notifies, `live(job_id)`
    is the job in memory, if any."""

    def __init__(self, repo: Repository, scheduler: BaseScheduler, lifecycle: Lifecycle, bus: EventBus, *,
                 live: Callable[[int], Job | None], warn: Callable[[Job, str, str], None]) -> None:
        self._repo, self._scheduler, self._lifecycle, self._bus = repo, scheduler, lifecycle, bus
        self._live, self._warn = live, warn
        self._runs: OrderedDict[tuple[str, ...], list[Run]] = OrderedDict()  # newest first, at most estimate.RUNS
        self._lock = threading.Lock()

    def on_move(self, job: Job) -> None:
        """Called on every status change (maybe under the job's lock): a job that starts or resumes running learns
        what to expect and has its overdue timer armed; one that stops has it dropped; one that completes is a run
        more to learn from."""
        if job.status is Status.RUNNING:
            self._expect(job)
            self._arm(job)
            return
        with contextlib.suppress(JobLookupError):
            self._scheduler.remove_job(_timer(job.id))
        if job.status is Status.COMPLETED:
            self._add(job)

    def earlier_runs(self, job: Job) -> list[Run]:
        """The job's earlier completed runs, newest first: those of its schedule if it has any, else those of its
        kind with its parameters."""
        wanted = keys(job.kind, job.name, job.params, job.schedule_id)
        with self._lock:
            missing = any(key not in self._runs for key in wanted)
        if missing:
            self._load(job.kind, wanted)
        with self._lock:
            found = [self._runs.get(key) for key in wanted]  # (evicted meanwhile by many other keys: None)
            for key, runs in zip(wanted, found, strict=True):
                if runs is not None:
                    self._runs.move_to_end(key)
            return next((runs for runs in found if runs), [])

    def _load(self, kind: str, wanted: list[tuple[str, ...]]) -> None:
        found: dict[tuple[str, ...], list[Run]] = {key: [] for key in wanted}
        for row in self._repo.completed_runs(kind, LOOKED_AT):
            for key in keys(kind, row['name'], row['params'] or {}, row['schedule_id']):
                runs = found.get(key)
                if runs is not None and len(runs) < estimate.RUNS:
                    runs.append(run_of(row))
        with self._lock:
            for key, runs in found.items():
                self._runs.setdefault(key, runs)
            while len(self._runs) > KEYS_KEPT:
                self._runs.popitem(last=False)

    def _add(self, job: Job) -> None:
        now = time.monotonic()
        run = Run(job.meter.elapsed(now), {s.name: job.stage_clock.running_seconds(i, now)
                                          for i, s in enumerate(job.progress.stages)})
        with self._lock:
            for key in keys(job.kind, job.name, job.params, job.schedule_id):
                runs = self._runs.get(key)
                if runs is not None:  # a key not kept is read from the store, where this run now is
                    runs.insert(0, run)
                    del runs[estimate.RUNS:]

    def _expect(self, job: Job) -> None:
        runs = self.earlier_runs(job)
        job.expected_seconds = estimate.expected([run.seconds for run in runs])
        stages = estimate.medians(run.stages for run in runs)
        progress = job.progress
        learned = [stages.get(stage.name) for stage in progress.stages]
        if all(seconds is None for seconds in learned):
            job.meter.plan = None
            return
        now = time.monotonic()
        index = progress.index
        job.meter.plan = StagePlan([s.weight for s in progress.stages], learned, index=index,
                                   clock=job.meter.elapsed(now),
                                   seconds_in_stage=job.stage_clock.running_seconds(index, now) if index >= 0 else 0)

    def _arm(self, job: Job) -> None:
        if job.expected_seconds is None or job.overdue:
            return
        left = estimate.overdue_in(job.meter.elapsed(time.monotonic()), job.expected_seconds)
        self._scheduler.add_job(self.check, 'date', run_date=datetime.now(UTC) + timedelta(seconds=left + 0.05),
                                args=[job.id], id=_timer(job.id), replace_existing=True, misfire_grace_time=None)

    def check(self, job_id: int) -> None:
        """The job may be overdue now: say so once (it may have paused and resumed since the timer was armed; then
        the timer is armed again for what is left)."""
        job = self._live(job_id)
        if job is None:
            return
        with job.lock:
            if job.status is not Status.RUNNING or job.overdue or job.expected_seconds is None:
                return
            elapsed = job.meter.elapsed(time.monotonic())
            if not estimate.overdue(elapsed, job.expected_seconds):
                self._arm(job)
                return
            job.overdue = True
            event = self._lifecycle.event(job, EventType.OVERDUE, expected_seconds=round(job.expected_seconds, 3),
                                          elapsed_seconds=round(elapsed, 3))
            job.unsaved_events.append(event)  # written with the job's next stage events or status change
        self._bus.publish_state(job, event)
        title = f'{job.name} (#{job.id}) is taking longer than usual'
        body = (f'Job #{job.id} ({job.kind}) has run {duration(elapsed)}; '
                f'it usually takes {duration(job.expected_seconds)}.')
        log.info('job %s is overdue: %s', job_id, body)
        self._warn(job, title, body)


def _timer(job_id: int) -> str:
    return f'overdue-{job_id}'
