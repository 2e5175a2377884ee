"""The live job: one object per job, written by its worker thread and read by the event loop and the API.

Worker threads only assign plain attributes here (the GIL makes each assignment atomic); status changes go
through `Lifecycle`, under `lock`. Nothing here touches the database or the UI.
"""

from __future__ import annotations

import functools
import itertools
import subprocess
import threading
import time
from datetime import UTC, datetime
from typing import Any

from progress_app.domain import attempts, estimate
from progress_app.domain.events import Event
from progress_app.domain.progress import Meter, Progress, Stage, StageState
from progress_app.domain.resources import Usage, columns, stored
from progress_app.domain.stage_time import StageClock
from progress_app.domain.status import Status


@functools.lru_cache(maxsize=8192)  # snapshots format the same few timestamps many times a second
def iso(ts: float | None) -> str | None:
    return datetime.fromtimestamp(ts, UTC).isoformat().replace('+00:00', 'Z') if ts is not None else None


class Job:
    def __init__(self, *, id: int, name: str, kind: str, status: Status, priority: int, params: dict[str, Any],
                 stages: tuple[Stage, ...], created_at: float, options: dict[str, Any] | None = None,
                 last_seq: int = 0) -> None:
        self.id = id
        self.name = name
        self.kind = kind
        self.status = status
        self.priority = priority
        self.params = params
        self.options = options or {}
        self.progress = Progress(stages)
        self.meter = Meter()
        self.created_at = created_at
        self.started_at: float | None = None
        self.finished_at: float | None = None
        self.run_at: float | None = None
        self.schedule_id: str | None = None
        self.resume_key: str | None = None  # an external run's: its script opens it again with this key
        self.attempts = 0
        self.error: str | None = None
        self.error_stage: str | None = None
        self.traceback: str | None = None
        self.result: Any = None
        self.has_output = False
        self.queue_position: int | None = None
        self.expected_seconds: float | None = None  # what its earlier runs took (runtime/engine/expectations.py)
        self.overdue = False  # it has run more than twice that

        # Resume point: the kind's own state, how far each ctx.track() loop got and the finished items of each
        # ctx.map() (key -> {index: result}). `checkpoint_version` moves on every change; the recorder writes the
        # job when it differs from what it wrote last.
        self.checkpoint_state: Any = None
        self.track_positions: dict[str, int] = {}
        self.map_results: dict[str, dict[str, Any]] = {}
        self.checkpoint_version = 0
        self.checkpoint_saved = 0  # the highest version known committed (by the recorder or by ctx.track())
        self.stage_started: dict[int, float] = {}  # wall-clock times of the current attempt's stages
        self.stage_finished: dict[int, float] = {}
        self.stage_clock = StageClock()  # running time of each stage, summed over attempts

        # Control: requests from other threads, read by ctx.check() in the job's thread.
        self.lock = threading.RLock()
        self.wakeup = threading.Condition(self.lock)
        self.stop_requested = False  # fast-path flag: any of the three below
        self.pause_requested = False
        self.cancel_requested = False
        self.interrupt_requested = False
        self.cancel_requested_at: float | None = None  # epoch seconds; while `cancelling`, how long it has waited
        # Nobody waits for the job's thread any more (the app stopped, or the job was removed while stuck): what
        # its function ends with is only logged, never recorded.
        self.abandoned = False
        self.timed_out: str | None = None  # 'timed out after 2 s': its try was stopped so; it fails
        self.in_worker = False  # a worker thread is executing this job (possibly blocked while paused)
        # The child processes the job runs (OS-level pause and cancel reach each one's process group): usually
        # one, several while a video encodes segments side by side. Changed under `lock` (lifecycle.py).
        self.processes: list[subprocess.Popen[bytes]] = []
        self.unsaved_events: list[Event] = []  # stage events not yet written (guarded by `lock`)
        self.thread_id: int | None = None  # native id of the thread running the job, and its CPU seconds then
        self.thread_cpu_start: float | None = None
        self.resources: Usage | None = None  # CPU and memory (runtime/live/usage.py)
        self.stalled_since: float | None = None  # epoch seconds; its progress stands still (runtime/engine/stalls.py)

        self._seq = itertools.count(last_seq + 1)

    @property
    def process(self) -> subprocess.Popen[bytes] | None:
        """The first child process the job runs now (None: none)."""
        running = self.processes
        return running[0] if running else None

    @property
    def process_group(self) -> int | None:
        """The process group of `process` (led by it)."""
        first = self.process
        return None if first is None else first.pid

    def next_seq(self) -> int:
        return next(self._seq)

    @property
    def percent(self) -> float:
        return round(self.progress.fraction() * 100, 2)

    @property
    def is_external(self) -> bool:
        """A run a script outside the app reports into (POST /api/runs); its facts are in options['external']."""
        return 'external' in self.options

    def restart_progress(self) -> None:
        """Progress from nothing, for an attempt that starts the work from its beginning."""
        self.progress.restart()
        self.stage_started.clear()
        self.stage_finished.clear()

    def request_stop(self, **flags: bool) -> None:
        with self.lock:
            for name, value in flags.items():
                setattr(self, name, value)
            self.stop_requested = self.pause_requested or self.cancel_requested or self.interrupt_requested
            self.wakeup.notify_all()

    def snapshot(self, now: float | None = None) -> dict[str, Any]:
        """The job as the API shows it (DESIGN.md, 'Job JSON')."""
        now = time.monotonic() if now is None else now
        p = self.progress
        ended = self.finished_at if self.status.is_terminal else None  # a stage cut short ended with its job
        clock = self.stage_clock
        stages = [{'name': s.name, 'weight': s.weight, 'state': p.stage_states[i].value,
                   'started_at': iso(self.stage_started.get(i)),
                   'finished_at': iso(self.stage_finished.get(i, ended if i in self.stage_started else None)),
                   'seconds': round(clock.running_seconds(i, now), 3), 'attempts': clock.attempts.get(i, 0)}
                  for i, s in enumerate(p.stages)]
        running = self.status is Status.RUNNING
        waiting = (round(max(time.time() - self.cancel_requested_at, 0.0), 1)
                   if self.status is Status.CANCELLING and self.cancel_requested_at is not None else None)
        return {
            'id': self.id, 'name': self.name, 'kind': self.kind, 'status': self.status.value,
            'priority': self.priority, 'params': self.params, 'progress': self.percent,
            'stage': p.stage, 'stage_index': p.index, 'stages': stages, 'message': p.message,
            'current': p.current, 'total': p.total, 'unit': p.unit,
            'speed': self.meter.speed if running else None, 'speed_per_unit': self.meter.per_unit,
            'eta_seconds': (None if (left := self.meter.left(now)) is None else round(left, 1))
            if self.status in (Status.RUNNING, Status.PAUSED) else None,
            'elapsed_seconds': round(self.meter.elapsed(now), 3),
            'created_at': iso(self.created_at), 'started_at': iso(self.started_at),
            'finished_at': iso(self.finished_at), 'run_at': iso(self.run_at), 'attempts': self.attempts,
            'error': self.error, 'error_stage': self.error_stage, 'traceback': self.traceback,
            'result': self.result, 'has_output': self.has_output, 'queue_position': self.queue_position,
            'schedule_id': self.schedule_id, 'options': self.options,
            'cancel_requested_at': iso(self.cancel_requested_at), 'cancel_waiting_seconds': waiting,
            'external': self._external(), 'pause_requested': self.pause_requested and running,
            'retry': self._retry(),
            'stalled': self.stalled_since is not None, 'stalled_since': iso(self.stalled_since),
            'resources': None if self.resources is None
            else (self.resources if self.in_worker else self.resources.ended()).to_dict(),
            **self._expectation(now),
        }

    def _expectation(self, now: float) -> dict[str, Any]:
        """`expected_seconds`, whether the run is `overdue`, and while it runs without reporting any progress,
        its progress estimated by time (`estimated_progress`, percent, at most 99) and time left (`eta_seconds`)."""
        expected, values = self.expected_seconds, {}
        if expected is not None and self.status is Status.RUNNING and not self.progress.floor:
            elapsed = self.meter.elapsed(now)
            left = estimate.time_left(elapsed, expected)
            values = {'estimated_progress': round((estimate.by_time(elapsed, expected) or 0.0) * 100, 1),
                      'eta_seconds': None if left is None else round(left, 1)}
        return {'expected_seconds': None if expected is None else round(expected, 3), 'overdue': self.overdue,
                'estimated_progress': None, **values}

    def _retry(self) -> dict[str, Any] | None:
        """{'number': 2, 'of': 3, 'at': iso} while the job waits for an automatic retry."""
        waiting = attempts.waiting_retry(self.options) if self.status is Status.SCHEDULED else None
        return None if waiting is None else {**waiting, 'at': iso(self.run_at)}

    def _external(self) -> dict[str, Any] | None:
        facts = self.options.get('external')
        if facts is None:
            return None
        return {'host': facts.get('host'), 'pid': facts.get('pid'), 'user': facts.get('user'),
                'command': facts.get('command'), 'lease_seconds': facts.get('lease_seconds'),
                'resume_key': self.resume_key, 'last_report_at': iso(facts.get('last_report_at')),
                'resume_state': self.checkpoint_state}

    def progress_values(self, now: float | None = None) -> dict[str, Any]:
        """The columns of the job row that change while it runs."""
        p, clock = self.progress, self.stage_clock
        now = time.monotonic() if now is None else now
        values = {} if not self.is_external else {'options': self.options}  # its last report's time is there
        return values | {
            'stages': [[s.name, s.weight, self.stage_started.get(i), self.stage_finished.get(i),
                        clock.running_seconds(i, now), clock.attempts.get(i, 0)] for i, s in enumerate(p.stages)],
            'stage_index': p.index,
            'stage_states': [s.value for s in p.stage_states], 'current': p.current, 'total': p.total,
            'unit': p.unit, 'message': p.message, 'progress': p.fraction(),
            'elapsed': self.meter.elapsed(now),
            'checkpoint': self.checkpoint_values(), **columns(self.resources),
        }

    def checkpoint_values(self) -> dict[str, Any] | None:
        if self.checkpoint_state is None and not self.track_positions and not self.map_results:
            return None
        values = {'state': self.checkpoint_state, 'track': dict(self.track_positions)}
        if self.map_results:  # copied: the job's thread adds results while the recorder serialises them
            values['maps'] = {key: dict(results) for key, results in list(self.map_results.items())}
        return values

    def forget_checkpoint(self) -> None:
        """Drop the resume point: the next attempt starts the work from its beginning."""
        self.checkpoint_state, self.track_positions, self.map_results = None, {}, {}

    def restore(self, row: dict[str, Any]) -> None:
        """Load progress, resume point and outcome from a stored row."""
        p = self.progress
        for i, state in enumerate(row.get('stage_states') or []):
            if i < len(p.stage_states):
                p.stage_states[i] = StageState(state)
        seconds, attempts = {}, {}
        for i, (_name, _weight, *times) in enumerate(row.get('stages') or []):
            # rows written before stage times (or running times) were stored have fewer fields
            started, finished, ran, runs = (*times, None, None, None, None)[:4]
            if started is not None:
                self.stage_started[i] = float(started)
            if finished is not None:
                self.stage_finished[i] = float(finished)
            if ran is not None:
                seconds[i], attempts[i] = float(ran), int(runs or 0)
        self.stage_clock = StageClock(seconds, attempts)
        p.index = min(row.get('stage_index', -1), len(p.stages) - 1)
        p.current = row.get('current') or 0.0
        p.total = row.get('total')
        p.unit = row.get('unit') or 'items'
        p.message = row.get('message') or ''
        p.floor = row.get('progress') or 0.0
        self.meter = Meter(elapsed=row.get('elapsed') or 0.0)
        checkpoint = row.get('checkpoint') or {}
        self.checkpoint_state = checkpoint.get('state')
        self.track_positions = dict(checkpoint.get('track') or {})
        self.map_results = {key: dict(results) for key, results in (checkpoint.get('maps') or {}).items()}
        for name in ('started_at', 'finished_at', 'run_at', 'schedule_id', 'error', 'error_stage', 'traceback',
                     'result', 'resume_key'):
            setattr(self, name, row.get(name))
        self.attempts = row.get('attempts') or 0
        self.resources = stored(row)
