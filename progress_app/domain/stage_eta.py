"""The time a job with stages has left, from what is known of each stage rather than from the stages' weights.

Weights say how much of the percent a stage is worth, not how long it takes: a demo whose stages weigh 1 / 8 / 1 but
take 0.25 s / 10 s / 0.25 s would have its last stage estimated at 1.3 s from the weights alone. So:

- the current stage's remaining time comes from the speed observed in it (a smoothed rate of its own fraction) and
  from its learned duration (earlier runs of the same job: the same schedule, or the same kind and parameters),
  blended so that the observation counts more the further the stage has got (`PRIOR` is how much the learned
  duration counts, in stage fractions; a stage slower than usual still has at least its usual share left); a
  stage that reports nothing within itself has its learned duration less the time it has run;
- each stage still to come takes its learned duration;
- and only a stage without one is estimated from its weight at the pace the whole job has gone so far.

`StagePlan` keeps the rate of the current stage between samples; its clock is the job's running time (pauses do not
count), so tests drive it with plain numbers.
"""

from __future__ import annotations

from collections.abc import Sequence

from progress_app.domain.progress import Rate

SMOOTHING = 0.1
"""Of the current stage's rate: smoother than the meter's speed (0.3), which shows how fast the job goes now; an
ETA that jumps with each sample is read as wrong."""
PRIOR = 0.15
"""How much a stage's learned duration counts against what is seen of it, in stage fractions: 15 % of the way
through a stage, the two count the same."""


def stage_fraction(weights: Sequence[float], index: int, fraction: float) -> float:
    """How far through stage `index` a job is whose overall (weighted) fraction is `fraction`."""
    before = sum(weights[:index])
    return min(max((fraction * sum(weights) - before) / weights[index], 0.0), 1.0)


def remaining(weights: Sequence[float], learned: Sequence[float | None], index: int, fraction_in_stage: float,
              seconds_in_stage: float, stage_left: float | None, overall_rate: float | None) -> float | None:
    """Seconds left for a job in stage `index`, `fraction_in_stage` through it after `seconds_in_stage` of running
    in it.

    `learned`: each stage's usual seconds (None: not known); `stage_left`: the current stage's remaining seconds at
    the speed seen in it (None: no speed yet); `overall_rate`: the whole job's smoothed fraction per second, for
    stages known only by their weight. None when nothing gives an estimate, or when a stage that reports nothing
    within itself has run past its usual time (it is late, and how late nobody knows).
    """
    total_weight = sum(weights)
    by_weight = (lambda share: share / total_weight / overall_rate) if overall_rate and overall_rate > 0 else None
    usual = learned[index] if index < len(learned) else None
    f = fraction_in_stage
    if usual is not None:
        seen_left = max(usual - seconds_in_stage, 0.0)
        if stage_left is not None and f > 0:
            # a run slower than usual is not nearly done because its usual time has passed: what is left of the
            # stage at its usual speed, at least
            learned_left = max(seen_left, usual * (1.0 - f))
            current: float | None = (PRIOR * learned_left + f * stage_left) / (PRIOR + f)
        elif f > 0 or seconds_in_stage < usual:
            current = seen_left
        else:
            return None
    elif stage_left is not None:
        current = stage_left
    elif by_weight is not None:
        current = by_weight(weights[index] * (1.0 - f))
    else:
        return None
    later = 0.0
    for j in range(index + 1, len(weights)):
        seconds = learned[j] if j < len(learned) else None
        if seconds is None:
            if by_weight is None:
                return None
            seconds = by_weight(weights[j])
        later += seconds
    return current + later


class StagePlan:
    """A job's learned stage durations (`learned`, by stage index) and the speed of its current stage, sampled on
    the job's running clock (seconds it has run, pauses excluded)."""

    __slots__ = ('_entered', '_index', '_last', '_rate', '_smoothing', 'learned', 'weights')

    def __init__(self, weights: Sequence[float], learned: Sequence[float | None], *, index: int = -1,
                 clock: float = 0.0, seconds_in_stage: float = 0.0, smoothing: float = SMOOTHING) -> None:
        self.weights = tuple(weights)
        self.learned = tuple(learned)
        self._smoothing = smoothing
        self._index = index  # the stage of the last sample (-1: none yet), entered at `_entered` on the clock
        self._entered = clock - seconds_in_stage
        self._last = clock
        self._rate = Rate(smoothing)

    def eta(self, clock: float, fraction: float, index: int, overall_rate: float | None) -> float | None:
        """Seconds left at `clock` for a job `fraction` through (weighted) in stage `index`; None if unknown."""
        if not 0 <= index < len(self.weights):
            return None
        f = stage_fraction(self.weights, index, fraction)
        if index != self._index:
            # Entered between the last sample and this one; a first stage entered as the job started, at its start.
            self._entered = self._entered if self._index < 0 else (self._last + clock) / 2
            self._index = index
            self._rate = Rate(self._smoothing)
        if f > 0 or self._rate.value is not None:
            # The rate counts from the stage's first move: the time before it (a program starting, a file being
            # opened) is not its pace, and the learned duration covers it.
            self._rate.sample(clock, f)
        self._last = clock
        rate = self._rate.at(clock)
        stage_left = None
        if rate and f > 0:
            # counts down between increases, as the job's own ETA does
            stage_left = max((1.0 - f) / rate - self._rate.waiting(clock), 0.0)
        return remaining(self.weights, self.learned, index, f, max(clock - self._entered, 0.0), stage_left,
                         overall_rate)
