"""Learned durations (progress by time, overdue) and stage-aware ETAs, on a fake clock."""

from __future__ import annotations

import pytest

from progress_app.domain import estimate
from progress_app.domain.progress import Meter
from progress_app.domain.stage_eta import StagePlan, remaining, stage_fraction


def test_the_expected_duration_is_the_median_of_the_latest_runs() -> None:
    assert estimate.expected([]) is None
    assert estimate.expected([3.0, 1.0]) == 2.0
    assert estimate.expected([10.0, 10.0, 11.0, 9.0, 10.0, 500.0, 500.0]) == 10.0, 'only the 5 latest count'
    assert estimate.medians([{'a': 1.0, 'b': 4.0}, {'a': 3.0}, {'a': 100.0}], runs_count=2) == {'a': 2.0, 'b': 4.0}


def test_progress_by_time_never_reaches_100_and_the_time_left_counts_down() -> None:
    expected = 40.0
    fractions = [estimate.by_time(t, expected) for t in range(0, 200, 5)]
    assert fractions == sorted(fractions) and max(fractions) == estimate.MAX_GUESS
    assert estimate.by_time(10, expected) == 0.25
    assert estimate.by_time(10, None) is None
    assert estimate.time_left(10, expected) == 30.0
    assert estimate.time_left(41, expected) is None, 'past the usual time nobody knows'
    assert estimate.label(16, 40) == '≈ 40 % · usually 40 s'
    assert estimate.label(50, 40) == 'longer than usual (usually 40 s)'
    assert estimate.label(10, None) == ''


def test_a_run_is_overdue_past_twice_its_usual_time() -> None:
    assert not estimate.overdue(80, 40) and estimate.overdue(80.1, 40)
    assert not estimate.overdue(1e9, None) and not estimate.overdue(1e9, 0)
    assert estimate.overdue_in(30, 40) == 50 and estimate.overdue_in(90, 40) == 0


WEIGHTS = (1.0, 8.0, 1.0)
TIMES = (0.25, 10.0, 0.25)  # prepare / process / finish: the weights say nothing of this


def test_the_remaining_time_uses_learned_stage_durations_not_weights() -> None:
    halfway = remaining(WEIGHTS, TIMES, 1, 0.5, 5.0, stage_left=5.0, overall_rate=0.08)
    assert halfway == pytest.approx(5.25), 'half of process, then finish as it took before'
    by_weight = remaining(WEIGHTS, (None, None, None), 1, 0.5, 5.0, stage_left=5.0, overall_rate=0.08)
    assert by_weight == pytest.approx(5.0 + 0.1 / 0.08), 'without learned times, finish is a tenth of the job'
    assert remaining(WEIGHTS, (None, None, None), 1, 0.5, 5.0, None, None) is None
    # a stage that says nothing of itself has its usual time less what it has run; past that, nobody knows
    assert remaining((1.0,), (30.0,), 0, 0.0, 12.0, None, None) == pytest.approx(18.0)
    assert remaining((1.0,), (30.0,), 0, 0.0, 31.0, None, None) is None
    assert stage_fraction(WEIGHTS, 1, 0.5) == pytest.approx(0.5)


def run_steady(meter: Meter, dt: float = 0.1) -> list[tuple[float, float | None, float]]:
    """Drive `meter` through a steady job taking TIMES; (time, ETA, actual left) at each sample."""
    total, readings, now = sum(TIMES), [], 0.0
    meter.start(0.0, 0.0, 0.0)
    while now < total:
        now = round(now + dt, 6)
        index = 0 if now < TIMES[0] else 1 if now < TIMES[0] + TIMES[1] else 2
        f = min((now - sum(TIMES[:index])) / TIMES[index], 1.0)
        fraction = (sum(WEIGHTS[:index]) + WEIGHTS[index] * f) / sum(WEIGHTS)
        meter.sample(now, fraction, f * 100, index, 'items')
        readings.append((now, meter.eta, total - now))
    return readings


def errors(readings: list[tuple[float, float | None, float]]) -> list[float]:
    total = sum(TIMES)
    return [abs(eta - left) / left for now, eta, left in readings if 0.1 * total <= now <= 0.9 * total]


def test_a_second_run_with_learned_stage_times_has_an_eta_that_holds() -> None:
    first = errors(run_steady(Meter()))
    assert max(first) > 0.05, 'weights alone: finish is estimated at 1.05 s instead of 0.25 s'
    learned = Meter()
    learned.plan = StagePlan(WEIGHTS, TIMES)
    second = errors(run_steady(learned))
    assert max(second) < 0.02


def test_a_slower_run_than_learned_follows_what_it_sees() -> None:
    plan = StagePlan((1.0,), (10.0,))
    # this run goes at half the learned speed: the observation wins as the stage gets on
    etas = {t: plan.eta(t, t / 20, 0, None) for t in (2.0, 4.0, 6.0, 8.0, 10.0, 12.0, 14.0, 16.0)}
    misses = [abs(etas[t] - (20 - t)) / (20 - t) for t in sorted(etas)]
    assert misses[-1] < 0.15 and misses[-1] < misses[0], 'the observation counts more as it goes'
    assert all(eta is not None and eta > 0 for eta in etas.values()), 'not 0 once the learned time has passed'


def test_the_eta_read_between_samples_counts_down_and_stands_still_while_paused() -> None:
    meter = Meter()
    meter.plan = StagePlan((1.0,), (10.0,))
    meter.start(0.0, 0.0, 0.0)
    meter.sample(4.0, 0.4, 40, 0, 'items')
    assert meter.left(4.0) == pytest.approx(6.0, abs=0.3)
    assert meter.left(4.05) == pytest.approx(meter.eta - 0.05), 'read 50 ms after the sample that worked it out'
    meter.pause(4.05)
    assert meter.left(100.0) == meter.eta, 'frozen while paused'


def test_the_time_before_a_stage_first_moves_is_not_its_pace() -> None:
    """A program that takes 2 s to start, then does its 10 s of work steadily: its pace is that of the work."""
    plan = StagePlan((1.0,), (None,))
    etas = {}
    for tenth in range(1, 121):
        t = tenth / 10
        etas[t] = plan.eta(t, max(t - 2.0, 0.0) / 10, 0, None)
    assert etas[1.0] is None, 'nothing seen, nothing learned'
    assert etas[6.0] == pytest.approx(6.0, rel=0.05), 'not 6 s of work in 6 s seen: 4 s in 4 s'
