"""Moving jobs between statuses: checked against the domain table, committed, and only then made visible.

Also the worker-side half of pause/cancel (`honour_requests`, called from `ctx.check()`), stage changes, and
the bookkeeping of a job's child processes so that pause and cancel can reach it from other threads.
"""

from __future__ import annotations

import itertools
import signal
import subprocess
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from progress_app.domain.events import Event, EventType
from progress_app.domain.progress import StageState
from progress_app.domain.status import Status, transition
from progress_app.errors import JobCancelled, JobInterrupted
from progress_app.runtime.engine import process
from progress_app.runtime.engine.job import Job
from progress_app.store.repository import Repository

if TYPE_CHECKING:
    from progress_app.runtime.live.bus import EventBus

JOB_ATTRIBUTES = ('started_at', 'finished_at', 'error', 'error_stage', 'traceback', 'result', 'attempts',
                  'priority', 'run_at', 'options')


class Lifecycle:
    def __init__(self, repo: Repository, bus: EventBus, first_event_id: int,
                 on_move: Callable[[Job], None] = lambda job: None, clock: Callable[[], float] = time.time,
                 allowed_dirs: Callable[[], Sequence[Path] | None] = lambda: None) -> None:
        self.repo = repo
        self.bus = bus
        self._ids = itertools.count(first_event_id)
        self._clock = clock
        self._on_move = on_move  # the engine files the job under active or finished
        self.allowed_dirs = allowed_dirs
        """The folders jobs may read and write as they are now (None: any), for a job that starts."""

    def number_events_from(self, first_event_id: int) -> None:
        """Go on numbering events from `first_event_id` (at start, after the last stored one)."""
        self._ids = itertools.count(first_event_id)

    def event(self, job: Job, type: EventType, **data: Any) -> Event:
        return Event(id=next(self._ids), job_id=job.id, seq=job.next_seq(), at=self._clock(), type=type, data=data)

    def new_event(self, job_id: int, seq: int, type: EventType, **data: Any) -> Event:
        """An event of a job that has no live object yet (creation, recovery)."""
        return Event(id=next(self._ids), job_id=job_id, seq=seq, at=self._clock(), type=type, data=data)

    def move(self, job: Job, target: Status, event_type: EventType, *, action: str | None = None,
             data: dict[str, Any] | None = None, values: dict[str, Any] | None = None,
             before: Sequence[Event] = ()) -> Event:
        """Change the job's status durably, then in memory, then tell subscribers. Raises IllegalTransition."""
        values = values or {}
        with job.lock:
            transition(job.status, target, action, external=job.is_external)
            now = time.monotonic()
            if target is Status.RUNNING:
                job.meter.start(now, job.progress.fraction(), job.progress.current)
                self._stage_clock_runs(job, now)
            elif job.status is Status.RUNNING:
                job.meter.pause(now)
                job.stage_clock.leave(now)
            if target is Status.COMPLETED:
                job.progress.finish_all()
                job.meter.finish(now)
            event = self.event(job, event_type, **(data or {}))
            row = {'status': target.value, **job.progress_values(now), **values}
            # Stage events not yet written behind go first, so the stored history is complete and in order.
            pending, job.unsaved_events = job.unsaved_events, []
            try:
                self.repo.save(job.id, row, [*pending, *before, event])
            except BaseException:
                job.unsaved_events = pending + job.unsaved_events
                raise
            job.status = target
            for name, value in values.items():
                if name in JOB_ATTRIBUTES:
                    setattr(job, name, value)
            job.wakeup.notify_all()
        self._on_move(job)
        self.bus.publish_state(job, event)
        return event

    # -- stages: written behind by the recorder, or with the next status change, whichever comes first -------
    def enter_stage(self, job: Job, index: int) -> None:
        progress = job.progress
        if progress.index == index and progress.stage_states[index] is StageState.RUNNING and not progress.current:
            return  # already there (the runner enters the first stage before the job's own `with ctx.stage`)
        for i in range(index + 1, len(progress.stage_states)):
            if progress.stage_states[i] is StageState.RUNNING:
                progress.stage_states[i] = StageState.PENDING
        progress.enter(index)
        job.stage_started[index] = self._clock()
        job.stage_clock.enter(index, time.monotonic())
        self._stage_event(job, 'started')

    def finish_stage(self, job: Job) -> None:
        job.progress.finish_stage()
        job.stage_finished[job.progress.index] = self._clock()
        job.stage_clock.leave(time.monotonic())
        self._stage_event(job, 'done')

    @staticmethod
    def _stage_clock_runs(job: Job, now: float) -> None:
        """The job (re)starts running: a new attempt unless it was only paused, in the stage it stopped in."""
        if job.status is not Status.PAUSED:
            job.stage_clock.new_attempt()
        progress = job.progress
        if progress.index >= 0 and progress.stage_states[progress.index] in (StageState.RUNNING, StageState.FAILED):
            job.stage_clock.enter(progress.index, now)

    def _stage_event(self, job: Job, state: str) -> None:
        event = self.event(job, EventType.STAGE, stage=job.progress.stage, index=job.progress.index, state=state,
                           progress=job.percent)
        with job.lock:
            job.unsaved_events.append(event)
        self.bus.publish_state(job, event)

    def save_checkpoint(self, job: Job) -> None:
        """Commit the job's resume point now, grouped with whatever else is being written at the same moment."""
        version = job.checkpoint_version  # read before the values: never claims more than was written
        self.repo.save_many({job.id: {'checkpoint': job.checkpoint_values()}}, live_only=True)
        job.checkpoint_saved = max(job.checkpoint_saved, version)

    # -- the worker's side of pause / cancel / interrupt --------------------------------------------------
    def honour_requests(self, job: Job) -> None:
        """Called in the job's thread at a pause/cancel point: raise to stop, or block while paused."""
        with job.lock:
            self._raise_if_stopped(job)
            if not job.pause_requested:
                return
            if job.status is Status.RUNNING:
                self.move(job, Status.PAUSED, EventType.PAUSED)
            while job.pause_requested and not (job.cancel_requested or job.interrupt_requested):
                job.wakeup.wait()
            self._raise_if_stopped(job)

    @staticmethod
    def _raise_if_stopped(job: Job) -> None:
        if job.cancel_requested:
            raise JobCancelled()
        if job.interrupt_requested:
            raise JobInterrupted()

    # -- child processes: pause and cancel act on the whole process group of each ----------------------------
    def attach_process(self, job: Job, popen: subprocess.Popen[bytes]) -> None:
        """Count `popen` among the job's child processes; one started while a stop is asked for is stopped at once."""
        with job.lock:
            job.processes = [*job.processes, popen]  # a new list: readers outside the lock see one or the other
            if job.cancel_requested or job.interrupt_requested:
                process.terminate_group(popen)
            elif job.pause_requested:
                process.signal_group(popen.pid, signal.SIGSTOP)
                if job.status is Status.RUNNING:
                    self.move(job, Status.PAUSED, EventType.PAUSED)

    def detach_process(self, job: Job, popen: subprocess.Popen[bytes]) -> None:
        with job.lock:
            job.processes = [p for p in job.processes if p is not popen]
        # The job's process group ends with the job: leftovers (a daemonised grandchild) are terminated too.
        if popen.poll() is None or process.group_alive(popen.pid):
            process.terminate_group(popen)
        popen.wait()
