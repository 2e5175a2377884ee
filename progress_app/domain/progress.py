"""Progress math: weighted stages, monotonic percent, smoothed speed and ETA.

Everything here takes the clock as an argument (`now`, seconds from any monotonic origin), so tests drive it with
a fake clock. `Progress` holds the counters a job's hot loop bumps; `Meter` turns periodic samples of them into
speed, ETA and active elapsed time.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

from progress_app.domain import speed as speed_reading

if TYPE_CHECKING:
    from progress_app.domain.stage_eta import StagePlan

DEFAULT_STAGE = 'run'
SMOOTHING = 0.3
MIN_SECONDS_FOR_ETA = 1.0


class StageState(StrEnum):
    PENDING = 'pending'
    RUNNING = 'running'
    DONE = 'done'
    FAILED = 'failed'


@dataclass(slots=True, frozen=True)
class Stage:
    name: str
    weight: float


StageSpec = Mapping[str, float] | Sequence[str] | None


def make_stages(spec: StageSpec) -> tuple[Stage, ...]:
    """Stages from `{'parse': 15, 'analyse': 60}` or `['a', 'b']` (equal weights); none → one stage 'run'."""
    if not spec:
        return (Stage(DEFAULT_STAGE, 1.0),)
    if isinstance(spec, str):  # a str is a Sequence[str] too, and would silently become one stage per letter
        raise ValueError(f'stages must be a mapping of name to weight or a list of names, not the string {spec!r}')
    items = spec.items() if isinstance(spec, Mapping) else ((name, 1.0) for name in spec)
    stages = []
    for name, weight in items:
        if not isinstance(name, str) or not name.strip():
            raise ValueError(f'a stage name must be a non-empty string, not {name!r}')
        if isinstance(weight, bool) or not isinstance(weight, int | float) or not math.isfinite(weight) or weight <= 0:
            raise ValueError(f"stage '{name}' needs a positive weight, not {weight!r}")
        stages.append(Stage(name, float(weight)))
    seen: set[str] = set()
    for stage in stages:
        if stage.name in seen:
            raise ValueError(f"stage names must be unique, but '{stage.name}' appears more than once")
        seen.add(stage.name)
    return tuple(stages)


class Progress:
    """The counters of one job. `current += n` is the whole hot path; everything else is derived on demand."""

    __slots__ = ('current', 'floor', 'index', 'message', 'stage_states', 'stages', 'total', 'unit')

    def __init__(self, stages: tuple[Stage, ...]) -> None:
        self.stages = stages
        self.stage_states = [StageState.PENDING] * len(stages)
        self.index = -1  # no stage entered yet
        self.current = 0.0
        self.total: float | None = None
        self.unit = 'items'
        self.message = ''
        self.floor = 0.0  # the highest fraction reported in this attempt: percent never goes backwards

    @property
    def stage(self) -> str | None:
        return self.stages[self.index].name if self.index >= 0 else None

    def stage_index(self, name: str) -> int:
        for i, stage in enumerate(self.stages):
            if stage.name == name:
                return i
        raise ValueError(f"unknown stage '{name}'; this job's stages are: {', '.join(s.name for s in self.stages)}")

    def enter(self, index: int) -> None:
        """Start stage `index`: earlier stages count as done, the counters start again at zero, and the message
        (which told of the stage before) is cleared."""
        if not 0 <= index < len(self.stages):
            # a negative index would silently mark a stage from the end as running
            raise IndexError(f'stage index {index} is out of range for {len(self.stages)} stage(s)')
        for i in range(index):
            self.stage_states[i] = StageState.DONE
        self.stage_states[index] = StageState.RUNNING
        self.index = index
        self.current = 0.0
        self.total = None
        self.message = ''

    def restart(self) -> None:
        """Start again from nothing, for an attempt that does its work from the beginning (a kind that re-runs, a
        job without a checkpoint): the percent follows that attempt, not the highest one an earlier attempt
        reached. The stages stay as they are (a job may have learned them as it went)."""
        self.stage_states = [StageState.PENDING] * len(self.stages)
        self.index = -1
        self.current = 0.0
        self.total = None
        self.message = ''
        self.floor = 0.0

    def finish_stage(self) -> None:
        if self.index >= 0:
            self.stage_states[self.index] = StageState.DONE
            if self.total:
                self.current = self.total

    def finish_all(self) -> None:
        self.stage_states = [StageState.DONE] * len(self.stages)
        self.index = len(self.stages) - 1
        if self.total:
            self.current = self.total
        self.floor = 1.0

    def fail_stage(self) -> None:
        if self.index >= 0:
            self.stage_states[self.index] = StageState.FAILED

    def stage_fraction(self) -> float:
        if self.index < 0 or self.stage_states[self.index] is StageState.DONE:
            return 1.0 if self.index >= 0 else 0.0
        total = self.total
        if not total or total <= 0:
            return 0.0
        return min(max(self.current / total, 0.0), 1.0)

    def raw_fraction(self) -> float:
        """Weighted overall fraction: finished stages' weight + current stage's weight × its fraction."""
        weights = [s.weight for s in self.stages]
        done = sum(w for w, st in zip(weights, self.stage_states, strict=True) if st is StageState.DONE)
        if self.index >= 0 and self.stage_states[self.index] is not StageState.DONE:
            done += weights[self.index] * self.stage_fraction()
        return min(done / sum(weights), 1.0)

    def fraction(self) -> float:
        """The overall fraction, never lower than any value returned before."""
        value = self.raw_fraction()
        if value > self.floor:
            self.floor = value
        return self.floor


class Ema:
    """Exponential moving average with bias correction, as tqdm's `EMA`."""

    __slots__ = ('alpha', 'calls', 'last')

    def __init__(self, smoothing: float = SMOOTHING) -> None:
        if not 0 < smoothing <= 1:  # 0 would divide by zero in the bias correction
            raise ValueError(f'smoothing must be in (0, 1], not {smoothing!r}')
        self.alpha = smoothing
        self.last = 0.0
        self.calls = 0

    def update(self, x: float) -> None:
        self.last = self.alpha * x + (1 - self.alpha) * self.last
        self.calls += 1

    @property
    def value(self) -> float | None:
        if not self.calls:
            return None
        return self.last / (1 - (1 - self.alpha) ** self.calls)


class Rate:
    """Smoothed rate of a growing quantity: EMA(Δvalue) / EMA(Δt) over the intervals in which it grew (as tqdm).

    Samples in which the value did not move are not intervals of their own: the time keeps accumulating until it
    moves. Otherwise a job that advances once every 2 s, sampled at 10 Hz, would swing between one burst and 19
    zero samples, and its ETA between a fraction and hundreds of times the truth. `at(now)` lets a wait for the next
    increase that outlasts the usual interval pull the rate down, so a stall still shows.
    """

    __slots__ = ('_dt', '_dv', '_t', '_v')

    def __init__(self, smoothing: float = SMOOTHING) -> None:
        self._dv = Ema(smoothing)
        self._dt = Ema(smoothing)
        self._t: float | None = None  # when the value last grew (or the rate was restarted)
        self._v = 0.0

    def restart(self, now: float, value: float) -> None:
        """Continue from `value` at `now` without counting the gap since the last sample (a pause, a new stage)."""
        self._t, self._v = now, value

    def sample(self, now: float, value: float) -> None:
        if self._t is None:
            self.restart(now, value)
            return
        if value < self._v:  # the counter went back (a stage entered again): not progress, count on from there
            self._v = value
            return
        dt = now - self._t
        if dt <= 0 or value == self._v:
            return
        self._dv.update(value - self._v)
        self._dt.update(dt)
        self._t, self._v = now, value

    @property
    def value(self) -> float | None:
        """The smoothed rate as of the last increase; None before the first one."""
        dv, dt = self._dv.value, self._dt.value
        if dv is None or not dt:
            return None
        return dv / dt

    def waiting(self, now: float) -> float:
        """Seconds since the value last grew (or the rate was restarted)."""
        return 0.0 if self._t is None else max(now - self._t, 0.0)

    def at(self, now: float) -> float | None:
        """The rate at `now`: `value`, but no more than one usual increment over the time waited for the next."""
        rate, step, waited = self.value, self._dv.value, self.waiting(now)
        if rate is None or step is None or not waited:
            return rate
        return min(rate, step / waited)


class Meter:
    """Speed (stage units/s), ETA and active elapsed time of one job, from periodic samples.

    Elapsed time counts only running time: pauses are excluded, and the ETA is frozen while paused.
    """

    def __init__(self, elapsed: float = 0.0, smoothing: float = SMOOTHING) -> None:
        self._smoothing = smoothing
        self._overall = Rate(smoothing)
        self._units = Rate(smoothing)
        self._unit_key: tuple[int, str] | None = None
        self._base = elapsed  # seconds accumulated before the current run
        self._run_started: float | None = None
        self._run_seconds = 0.0  # active seconds of this run
        self.speed: float | None = None
        self.per_unit = False  # the speed reads as seconds per unit (domain/speed.py)
        self.eta: float | None = None
        self.plan: StagePlan | None = None  # what earlier runs say of each stage (domain/stage_eta.py)
        self._eta_at = 0.0  # when `eta` was worked out

    @property
    def running(self) -> bool:
        return self._run_started is not None

    def start(self, now: float, fraction: float, current: float) -> None:
        """Begin (or resume) running at `now`; the gap since the last sample does not count toward the rate."""
        self.pause(now)  # a second start while running must not drop the running time so far
        self._run_started = now
        self._overall.restart(now, fraction)
        self._units.restart(now, current)

    def pause(self, now: float) -> None:
        if self._run_started is not None:
            self._run_seconds += now - self._run_started
            self._run_started = None

    def elapsed(self, now: float) -> float:
        live = now - self._run_started if self._run_started is not None else 0.0
        return self._base + self._run_seconds + live

    def sample(self, now: float, fraction: float, current: float, stage_index: int, unit: str) -> None:
        """Feed one observation; updates `speed` and `eta`."""
        if self._run_started is None:
            return
        if self._unit_key != (stage_index, unit):
            self._unit_key = (stage_index, unit)
            self._units = Rate(self._smoothing)
            self._units.restart(now, current)
            self.per_unit = False
        else:
            self._units.sample(now, current)
        self._overall.sample(now, fraction)
        self.speed = self._units.at(now)
        self.per_unit = speed_reading.per_unit(self.speed, self.per_unit)
        run_seconds = self._run_seconds + (now - self._run_started)
        remaining = eta(fraction, self._overall.at(now), run_seconds)
        # count down between increases: a job that advances every 2 s should not show a frozen ETA for 2 s
        self.eta = None if remaining is None else max(remaining - self._overall.waiting(now), 0.0)
        planned = None if self.plan is None else self.plan.eta(self.elapsed(now), fraction, stage_index,
                                                               self._overall.at(now))
        self.eta = self.eta if planned is None else planned
        self._eta_at = now

    def left(self, now: float) -> float | None:
        """`eta` as of `now`: less the running time since the sample that worked it out (up to a sampling interval,
        a noticeable part of the last seconds)."""
        if self.eta is None or self._run_started is None:
            return self.eta
        return max(self.eta - max(now - max(self._eta_at, self._run_started), 0.0), 0.0)

    def finish(self, now: float) -> None:
        self.pause(now)
        self.eta = 0.0


def eta(fraction: float, rate: float | None, seconds: float) -> float | None:
    """Remaining seconds at `rate` (fraction per second); None until there is enough signal. Never negative."""
    if seconds < MIN_SECONDS_FOR_ETA or fraction <= 0 or not rate or rate <= 0:
        return None
    return max((1.0 - fraction) / rate, 0.0)
