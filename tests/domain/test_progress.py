"""Progress math on a fake clock: every `now` is passed explicitly, nothing sleeps."""

from __future__ import annotations

import math
import random

import pytest

from progress_app.domain import speed
from progress_app.domain.progress import (
    DEFAULT_STAGE,
    MIN_SECONDS_FOR_ETA,
    SMOOTHING,
    Ema,
    Meter,
    Progress,
    Rate,
    Stage,
    StageState,
    eta,
    make_stages,
)

VIDEO = {'parse': 15, 'analyse': 60, 'integrate': 20, 'format': 5}
HZ = 10  # the sampler's rate in the app


def progress_of(spec=None) -> Progress:
    return Progress(make_stages(spec))


def at(progress: Progress, index: int, current: float, total: float | None) -> Progress:
    progress.enter(index)
    progress.total = total
    progress.current = current
    return progress


class Sim:
    """A job working at `rate` units/s, sampled at 10 Hz on a fake clock as the app's sampler does.

    With `whole=True` the job reports whole units only (one file done, then the next), so its counter moves in steps.
    """

    def __init__(self, total: float | None = 1000, rate: float = 10.0, stages=None, elapsed: float = 0.0,
                 whole: bool = False) -> None:
        self.progress = progress_of(stages)
        self.progress.enter(0)
        self.progress.total = total
        self.meter = Meter(elapsed=elapsed)
        self.rate = rate
        self.whole = whole
        self.work = 0.0  # units really done in this stage, reported or not
        self.ticks = 0  # integer ticks keep `now` exact: 10 × 0.1 s is 1.0, not 0.9999999999999999
        self.meter.start(self.now, self.progress.fraction(), self.progress.current)

    @property
    def now(self) -> float:
        return self.ticks / HZ

    def step(self) -> None:
        self.ticks += 1
        p = self.progress
        self.work += self.rate / HZ
        if p.total is not None:
            self.work = min(self.work, p.total)
        p.current = math.floor(self.work + 1e-9) if self.whole else self.work
        self.meter.sample(self.now, p.fraction(), p.current, p.index, p.unit)

    def run(self, seconds: float) -> None:
        for _ in range(round(seconds * HZ)):
            self.step()

    def idle(self, seconds: float) -> None:
        """Let the clock move with no work done and no samples (the job is paused)."""
        self.ticks += round(seconds * HZ)

    def pause(self) -> None:
        self.meter.pause(self.now)

    def resume(self) -> None:
        self.meter.start(self.now, self.progress.fraction(), self.progress.current)

    @property
    def true_eta(self) -> float:
        assert self.progress.total is not None
        return (self.progress.total - self.work) / self.rate

    def enter(self, index: int, total: float | None, unit: str = 'items') -> None:
        self.progress.finish_stage()
        self.progress.enter(index)
        self.progress.total = total
        self.progress.unit = unit
        self.work = 0.0


# -- stages -----------------------------------------------------------------------------------------------------


def test_stages_from_a_mapping_keep_order_and_weights() -> None:
    assert make_stages(VIDEO) == (Stage('parse', 15.0), Stage('analyse', 60.0), Stage('integrate', 20.0),
                                  Stage('format', 5.0))
    assert make_stages({'a': 0.5, 'b': 2}) == (Stage('a', 0.5), Stage('b', 2.0))


@pytest.mark.parametrize('spec', [['scan', 'resize', 'report'], ('scan', 'resize', 'report')], ids=['list', 'tuple'])
def test_stages_from_a_list_get_equal_weights(spec) -> None:
    assert make_stages(spec) == (Stage('scan', 1.0), Stage('resize', 1.0), Stage('report', 1.0))


@pytest.mark.parametrize('spec', [None, {}, []], ids=repr)
def test_no_stages_means_one_default_stage(spec) -> None:
    assert make_stages(spec) == (Stage(DEFAULT_STAGE, 1.0),)


@pytest.mark.parametrize(('spec', 'message'), [
    ({'parse': 0}, "stage 'parse' needs a positive weight, not 0"),
    ({'parse': -5}, "stage 'parse' needs a positive weight, not -5"),
    ({'parse': 1, 'analyse': -0.5}, "stage 'analyse' needs a positive weight, not -0.5"),
    ({'parse': math.nan}, "stage 'parse' needs a positive weight, not nan"),
    ({'parse': math.inf}, "stage 'parse' needs a positive weight, not inf"),
    ({'parse': '15'}, "stage 'parse' needs a positive weight, not '15'"),
    ({'parse': None}, "stage 'parse' needs a positive weight, not None"),
    ({'parse': True}, "stage 'parse' needs a positive weight, not True"),
    (['scan', 'resize', 'scan'], "stage names must be unique, but 'scan' appears more than once"),
    ([''], "a stage name must be a non-empty string, not ''"),
    (['  '], "a stage name must be a non-empty string, not '  '"),
    ({'': 1}, "a stage name must be a non-empty string, not ''"),
    (['scan', 3], 'a stage name must be a non-empty string, not 3'),
    ('scan', "stages must be a mapping of name to weight or a list of names, not the string 'scan'"),
], ids=lambda v: v if isinstance(v, str) else None)
def test_bad_stage_specs_raise_a_clear_value_error(spec, message: str) -> None:
    with pytest.raises(ValueError) as info:
        make_stages(spec)
    assert str(info.value) == message


def test_stage_names_and_indexes() -> None:
    p = progress_of(VIDEO)
    assert p.stage is None and p.index == -1
    assert p.stage_index('integrate') == 2
    p.enter(1)
    assert p.stage == 'analyse'
    with pytest.raises(ValueError, match="unknown stage 'render'; this job's stages are: parse, analyse, integrate, "
                                         'format'):
        p.stage_index('render')


def test_enter_marks_earlier_stages_done_and_resets_the_counters() -> None:
    p = at(progress_of(VIDEO), 0, 40, 50)
    p.unit = 'bytes'
    p.enter(2)
    assert p.stage_states == [StageState.DONE, StageState.DONE, StageState.RUNNING, StageState.PENDING]
    assert (p.current, p.total) == (0.0, None)


def test_a_stage_entered_clears_the_message_of_the_stage_before() -> None:
    p = at(progress_of(VIDEO), 1, 10, 10)
    p.message = 'item 10 of 10'
    p.enter(2)
    assert p.message == ''


@pytest.mark.parametrize('index', [-1, 4, 10])
def test_enter_rejects_an_index_out_of_range_without_changing_anything(index: int) -> None:
    p = progress_of(VIDEO)
    with pytest.raises(IndexError, match=f'stage index {index} is out of range for 4 stage'):
        p.enter(index)
    assert p.index == -1
    assert p.stage_states == [StageState.PENDING] * 4


# -- percent ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(('index', 'current', 'total', 'expected'), [
    (0, 0, 100, 0.0),
    (0, 50, 100, 0.075),
    (1, 0, 200, 0.15),
    (1, 100, 200, 0.45),  # the example: 15 + 60 × 50 %
    (2, 1, 4, 0.80),
    (3, 30, 30, 1.0),
])
def test_weighted_stage_percent(index: int, current: float, total: float, expected: float) -> None:
    p = at(progress_of(VIDEO), index, current, total)
    assert p.raw_fraction() == pytest.approx(expected)
    assert p.fraction() == pytest.approx(expected)


def test_percent_with_equal_weights_from_a_list() -> None:
    p = at(progress_of(['a', 'b', 'c', 'd']), 2, 5, 10)
    assert p.fraction() == pytest.approx(0.625)


def test_finishing_a_stage_counts_its_whole_weight() -> None:
    p = at(progress_of(VIDEO), 0, 10, 100)
    p.finish_stage()
    assert p.stage_states[0] is StageState.DONE
    assert p.current == 100
    assert p.stage_fraction() == 1.0
    assert p.fraction() == pytest.approx(0.15)


@pytest.mark.parametrize('total', [None, 0], ids=['unknown', 'zero'])
def test_unknown_total_gives_stage_fraction_zero(total: float | None) -> None:
    p = at(progress_of(VIDEO), 1, 500, total)
    assert p.stage_fraction() == 0.0
    assert p.fraction() == pytest.approx(0.15)  # only the finished stage counts


@pytest.mark.parametrize(('current', 'expected'), [(150, 1.0), (-5, 0.0)])
def test_stage_fraction_is_clamped(current: float, expected: float) -> None:
    p = at(progress_of(), 0, current, 100)
    assert p.stage_fraction() == expected
    assert 0.0 <= p.fraction() <= 1.0


def test_nothing_entered_yet_is_zero() -> None:
    p = progress_of(VIDEO)
    assert p.stage_fraction() == 0.0
    assert p.fraction() == 0.0


def test_percent_never_decreases_when_the_counter_goes_back() -> None:
    p = at(progress_of(), 0, 60, 100)
    assert p.fraction() == pytest.approx(0.6)
    p.current = 20
    assert p.raw_fraction() == pytest.approx(0.2)
    assert p.fraction() == pytest.approx(0.6)
    p.total = 1000  # a larger total discovered later
    assert p.fraction() == pytest.approx(0.6)


def test_percent_never_decreases_when_an_earlier_stage_is_entered_again_on_resume() -> None:
    p = at(progress_of(VIDEO), 2, 10, 20)  # integrate, half done: 15 + 60 + 10 = 85 %
    assert p.fraction() == pytest.approx(0.85)
    seen = [p.fraction()]
    # resume from a checkpoint: the job walks through its stages again from the start
    for index, total in enumerate((100, 200, 20)):
        p.enter(index)
        p.total = total
        for current in range(0, total + 1, max(total // 10, 1)):
            p.current = current
            seen.append(p.fraction())
        p.finish_stage()
        seen.append(p.fraction())
    assert seen == sorted(seen)
    assert seen[1] == pytest.approx(0.85)
    assert seen[-1] == pytest.approx(0.95)


def test_a_floor_restored_from_the_database_holds() -> None:
    p = progress_of(VIDEO)
    p.floor = 0.5
    p.enter(0)
    assert p.fraction() == 0.5


def test_a_restart_from_the_beginning_follows_the_new_attempt_not_the_old_floor() -> None:
    p = at(progress_of(VIDEO), 1, 150, 200)  # an attempt got to 60 %
    p.message = 'frame 900 of 1200'
    assert p.fraction() == pytest.approx(0.6)
    p.restart()
    assert (p.index, p.stage, p.current, p.total, p.message) == (-1, None, 0.0, None, '')
    assert p.stage_states == [StageState.PENDING] * 4
    assert p.fraction() == 0.0
    at(p, 1, 20, 200)  # the new attempt, 10 % into 'analyse': 15 + 6 = 21 %
    assert p.fraction() == pytest.approx(0.21)
    assert [s.name for s in p.stages] == list(VIDEO)


def test_percent_is_monotonic_under_random_counter_moves() -> None:
    rng = random.Random(42)
    p = progress_of(VIDEO)
    previous = 0.0
    for _ in range(2000):
        roll = rng.random()
        if roll < 0.05:
            p.enter(rng.randrange(len(p.stages)))
        elif roll < 0.1:
            p.total = rng.choice([None, 0, 10, 100, 1000])
        elif roll < 0.12:
            p.finish_stage()
        else:
            p.current = max(p.current + rng.uniform(-20, 30), 0.0)
        value = p.fraction()
        assert previous <= value <= 1.0
        previous = value


@pytest.mark.parametrize(('index', 'total'), [(1, 200), (1, None), (3, 7)])
def test_finish_all_gives_one_hundred_percent(index: int, total: float | None) -> None:
    p = at(progress_of(VIDEO), index, 3, total)
    p.finish_all()
    assert p.fraction() == 1.0
    assert p.raw_fraction() == 1.0
    assert p.stage_states == [StageState.DONE] * 4
    assert p.stage == 'format'


def test_finish_all_before_any_stage_was_entered() -> None:
    p = progress_of()
    p.finish_all()
    assert p.fraction() == 1.0
    assert p.stage == DEFAULT_STAGE


def test_a_failed_stage_keeps_its_partial_progress() -> None:
    p = at(progress_of(VIDEO), 1, 50, 200)
    p.fail_stage()
    assert p.stage_states == [StageState.DONE, StageState.FAILED, StageState.PENDING, StageState.PENDING]
    assert p.fraction() == pytest.approx(0.30)


# -- Ema and Rate -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize('smoothing', [0.05, SMOOTHING, 0.9, 1.0])
def test_ema_first_value_is_the_first_sample(smoothing: float) -> None:
    ema = Ema(smoothing)
    assert ema.value is None
    ema.update(42.0)
    assert ema.value == pytest.approx(42.0)


def test_ema_of_a_constant_is_that_constant() -> None:
    ema = Ema()
    for _ in range(50):
        ema.update(3.5)
        assert ema.value == pytest.approx(3.5)


def test_ema_matches_tqdm() -> None:
    tqdm_std = pytest.importorskip('tqdm.std')
    ours, theirs = Ema(SMOOTHING), tqdm_std.EMA(SMOOTHING)
    rng = random.Random(7)
    for _ in range(100):
        x = rng.uniform(0, 100)
        ours.update(x)
        assert ours.value == pytest.approx(theirs(x), rel=1e-12)


def test_ema_weights_recent_samples_more() -> None:
    ema = Ema(0.3)
    for x in (10.0, 10.0, 10.0, 20.0):
        ema.update(x)
    assert 10.0 < ema.value < 15.0  # moved towards 20, but smoothly


@pytest.mark.parametrize('smoothing', [0.0, -0.1, 1.5])
def test_ema_rejects_a_smoothing_outside_0_1(smoothing: float) -> None:
    with pytest.raises(ValueError, match='smoothing must be in'):
        Ema(smoothing)


def test_rate_needs_two_samples_and_tolerates_irregular_intervals() -> None:
    rate = Rate()
    rate.sample(10.0, 0.0)
    assert rate.value is None
    rate.sample(10.5, 5.0)
    assert rate.value == pytest.approx(10.0)
    for now in (10.6, 11.5, 11.55, 13.0):
        rate.sample(now, (now - 10.0) * 10.0)
        assert rate.value == pytest.approx(10.0)


def test_rate_ignores_non_increasing_time_and_a_counter_going_back() -> None:
    rate = Rate(smoothing=1.0)  # no smoothing: the value is the last interval's rate
    rate.sample(0.0, 0.0)
    rate.sample(1.0, 4.0)
    rate.sample(1.0, 100.0)  # same instant: ignored
    rate.sample(0.5, 100.0)  # clock went back: ignored
    assert rate.value == pytest.approx(4.0)
    rate.sample(2.0, 1.0)  # the counter went back: no interval, and no negative rate
    assert rate.value == pytest.approx(4.0)
    rate.sample(3.0, 5.0)  # it counts on from where it went back to, over the time since it last grew
    assert rate.value == pytest.approx(2.0)


def test_rate_counts_the_whole_wait_between_increases() -> None:
    rate = Rate()
    rate.sample(0.0, 0.0)
    for tick in range(1, 101):  # one unit every 2 s, sampled at 10 Hz
        rate.sample(tick / HZ, tick // 20)
        if tick >= 20:
            assert rate.value == pytest.approx(0.5)
            assert rate.at(tick / HZ) == pytest.approx(0.5)


def test_a_wait_longer_than_usual_pulls_the_rate_down() -> None:
    rate = Rate()
    for now in range(11):
        rate.sample(float(now), float(now))  # 1 unit/s
    assert rate.waiting(10.0) == 0.0
    assert rate.at(10.5) == pytest.approx(1.0)  # within the usual interval: no change
    assert rate.at(14.0) == pytest.approx(0.25)  # one unit in the 4 s waited so far, at best
    assert rate.waiting(14.0) == 4.0
    assert rate.value == pytest.approx(1.0)  # the smoothed rate itself is untouched until the next increase


def test_rate_restart_skips_the_gap() -> None:
    rate = Rate()
    rate.sample(0.0, 0.0)
    rate.sample(1.0, 10.0)
    rate.restart(100.0, 10.0)
    rate.sample(101.0, 20.0)
    assert rate.value == pytest.approx(10.0)


# -- Meter: ETA -------------------------------------------------------------------------------------------------


def test_eta_is_none_during_the_first_second() -> None:
    sim = Sim(total=100, rate=10)
    for _ in range(HZ - 1):
        sim.step()
        assert sim.progress.fraction() > 0
        assert sim.meter.eta is None
    sim.step()
    assert sim.now == MIN_SECONDS_FOR_ETA
    assert sim.meter.eta == pytest.approx(sim.true_eta)


def test_eta_is_none_while_nothing_is_done() -> None:
    sim = Sim(total=100, rate=0)
    sim.run(5)
    assert sim.meter.eta is None


def test_unknown_total_gives_a_speed_but_no_eta() -> None:
    sim = Sim(total=None, rate=4)
    sim.run(5)
    assert sim.progress.fraction() == 0.0
    assert sim.meter.eta is None
    assert sim.meter.speed == pytest.approx(4.0)


def test_eta_with_a_steady_rate_is_within_5_percent_once_10_percent_is_done() -> None:
    sim = Sim(total=1000, rate=10)  # 100 s of work
    sim.run(10)
    assert sim.progress.fraction() == pytest.approx(0.10)
    while sim.progress.fraction() < 0.99:
        assert sim.meter.eta == pytest.approx(sim.true_eta, rel=0.05)
        sim.step()


def test_eta_over_weighted_stages_with_a_steady_overall_rate() -> None:
    # each stage takes time in proportion to its weight, so the overall rate is steady: 1 % per second
    sim = Sim(total=150, rate=10, stages=VIDEO)
    sim.run(10)
    assert sim.meter.eta == pytest.approx(90, rel=0.05)
    sim.run(5)
    sim.enter(1, total=600)
    sim.run(30)
    assert sim.progress.fraction() == pytest.approx(0.45)
    assert sim.meter.eta == pytest.approx(55, rel=0.05)


@pytest.mark.parametrize('factor', [0.5, 2.0], ids=['halves', 'doubles'])
def test_eta_adapts_to_a_new_rate_within_a_few_seconds(factor: float) -> None:
    sim = Sim(total=1000, rate=10)
    sim.run(20)
    sim.rate *= factor
    sim.step()
    assert sim.meter.eta != pytest.approx(sim.true_eta, rel=0.10)  # one sample is not enough to believe it
    sim.run(3)
    for _ in range(5 * HZ):
        assert sim.meter.eta == pytest.approx(sim.true_eta, rel=0.10)
        sim.step()


@pytest.mark.parametrize('item_seconds', [0.05, 0.35, 2.0, 7.0])
def test_eta_is_steady_when_the_counter_moves_in_whole_items(item_seconds: float) -> None:
    # items slower than the 10 Hz sampler: most samples see no change, which must not read as a stall
    sim = Sim(total=100, rate=1 / item_seconds, whole=True)
    sim.run(max(item_seconds * 10, MIN_SECONDS_FOR_ETA))
    assert sim.progress.fraction() >= 0.10
    while sim.progress.fraction() < 0.95:
        sim.step()
        assert sim.meter.eta == pytest.approx(sim.true_eta, rel=0.05, abs=0.15)
        assert sim.meter.speed == pytest.approx(sim.rate, rel=0.15)


def test_a_stall_shows_as_falling_speed_and_growing_eta() -> None:
    sim = Sim(total=100, rate=1.0, whole=True)
    sim.run(20)
    assert sim.meter.eta == pytest.approx(80)
    sim.rate = 0.0  # stuck on one item
    history = []
    for _ in range(30):
        sim.run(1)
        history.append((sim.meter.speed, sim.meter.eta))
    speeds, etas = zip(*history, strict=True)
    assert list(speeds) == sorted(speeds, reverse=True)
    assert speeds[-1] == pytest.approx(1 / 30)
    assert list(etas[2:]) == sorted(etas[2:])
    assert etas[-1] > 1000


def test_the_eta_counts_down_between_increases() -> None:
    sim = Sim(total=10, rate=0.2, whole=True)  # one item every 5 s
    sim.run(10)
    etas = []
    for _ in range(5 * HZ):
        sim.step()
        etas.append(sim.meter.eta)
    assert etas == sorted(etas, reverse=True)
    assert etas[0] - etas[-1] == pytest.approx(4.9)


def test_eta_is_zero_at_the_end_and_never_negative() -> None:
    sim = Sim(total=100, rate=10)
    sim.run(12)  # past the end: the counter is capped at the total
    assert sim.progress.fraction() == 1.0
    assert sim.meter.eta == 0.0


def test_eta_is_never_negative_under_irregular_samples() -> None:
    rng = random.Random(1)
    p = at(progress_of(VIDEO), 0, 0, 100)
    meter = Meter()
    now = 0.0
    meter.start(now, p.fraction(), p.current)
    for _ in range(3000):
        now += rng.choice([0.0, 0.001, 0.1, 0.5, 3.0])
        roll = rng.random()
        if roll < 0.02:
            p.enter(rng.randrange(len(p.stages)))
            p.total = rng.choice([None, 10, 100])
        elif roll < 0.03:
            meter.pause(now)
        elif roll < 0.05:
            meter.start(now, p.fraction(), p.current)
        else:
            p.current = max(p.current + rng.uniform(-3, 10), 0.0)
        meter.sample(now, p.fraction(), p.current, p.index, p.unit)
        assert meter.eta is None or meter.eta >= 0.0
        assert meter.speed is None or meter.speed >= 0.0


@pytest.mark.parametrize(('fraction', 'rate', 'seconds', 'expected'), [
    (0.25, 0.05, 5.0, 15.0),
    (1.0, 0.05, 5.0, 0.0),
    (1.2, 0.05, 5.0, 0.0),  # overshoot never gives a negative ETA
    (0.25, 0.05, 0.99, None),  # not enough running time
    (0.0, 0.05, 5.0, None),  # nothing done
    (0.25, 0.0, 5.0, None),  # stalled
    (0.25, -0.1, 5.0, None),
    (0.25, None, 5.0, None),
])
def test_eta_function(fraction: float, rate: float | None, seconds: float, expected: float | None) -> None:
    assert eta(fraction, rate, seconds) == (pytest.approx(expected) if expected is not None else None)


# -- Meter: speed -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize('rate', [0.5, 25.0, 1e6])
def test_speed_matches_a_steady_rate(rate: float) -> None:
    sim = Sim(total=None, rate=rate)
    sim.run(3)
    assert sim.meter.speed == pytest.approx(rate)


def test_a_stage_change_resets_the_speed_meter() -> None:
    sim = Sim(total=None, rate=1000, stages=['download', 'unpack'])
    sim.progress.unit = 'bytes'
    sim.run(3)
    assert sim.meter.speed == pytest.approx(1000)
    sim.enter(1, total=None, unit='files')
    sim.rate = 2
    sim.step()
    assert sim.meter.speed is None  # no carry-over of bytes/s into files/s
    sim.step()
    assert sim.meter.speed == pytest.approx(2)


@pytest.mark.parametrize('start_rate', [1.3, 0.7])
def test_a_speed_hovering_around_one_per_second_keeps_one_reading(start_rate: float) -> None:
    """'1.10 images/s' and '1.0 s/image' in turns is one speed written two ways: the reading changes only once
    the speed has clearly moved (domain/speed.py)."""
    sim = Sim(total=10_000, rate=start_rate)
    sim.run(10)
    first = sim.meter.per_unit
    assert first is (start_rate < 1)
    readings = set()
    for rate in (0.9, 1.1, 0.95, 1.15, 0.85, 1.2) * 3:
        sim.rate = rate
        sim.run(2)
        readings.add(sim.meter.per_unit)
    assert readings == {first}
    sim.rate = 3.0 if first else 0.3
    sim.run(10)
    assert sim.meter.per_unit is not first


@pytest.mark.parametrize(('rate', 'before', 'after'), [
    (0.79, False, True), (0.81, False, False), (1.2, True, True), (1.3, True, False), (None, True, True),
    (0.0, False, False),
])
def test_when_a_speed_reads_per_unit(rate, before, after) -> None:
    assert speed.per_unit(rate, before) is after


def test_a_unit_change_within_a_stage_resets_the_speed_meter() -> None:
    sim = Sim(total=None, rate=1000)
    sim.run(2)
    sim.progress.unit = 'frames'  # e.g. set_total(…, unit='frames') once the video is probed
    sim.work = 0.0
    sim.rate = 30
    sim.step()
    assert sim.meter.speed is None
    sim.run(1)
    assert sim.meter.speed == pytest.approx(30)


# -- Meter: pause, elapsed time ---------------------------------------------------------------------------------


def test_elapsed_counts_running_time_only() -> None:
    sim = Sim()
    sim.run(5)
    assert sim.meter.running
    assert sim.meter.elapsed(sim.now) == pytest.approx(5)
    sim.pause()
    assert not sim.meter.running
    sim.idle(100)
    assert sim.meter.elapsed(sim.now) == pytest.approx(5)
    sim.resume()
    sim.run(2)
    assert sim.meter.elapsed(sim.now) == pytest.approx(7)


def test_a_pause_does_not_drag_the_rate_down_after_resume() -> None:
    sim = Sim(total=1000, rate=10)
    sim.run(20)
    speed_before, eta_before = sim.meter.speed, sim.meter.eta
    sim.pause()
    sim.idle(300)
    sim.resume()
    sim.step()
    assert sim.meter.speed == pytest.approx(speed_before)
    assert sim.meter.eta == pytest.approx(sim.true_eta, rel=0.05)
    assert sim.meter.eta < eta_before


def test_eta_and_speed_are_frozen_while_paused() -> None:
    sim = Sim(total=1000, rate=10)
    sim.run(20)
    frozen = (sim.meter.speed, sim.meter.eta)
    sim.pause()
    for _ in range(30):
        sim.step()  # even if the counters move and a sample arrives, a paused meter ignores it
    assert (sim.meter.speed, sim.meter.eta) == frozen
    assert sim.meter.elapsed(sim.now) == pytest.approx(20)


def test_elapsed_includes_time_from_before_a_restart_but_the_eta_waits_for_new_signal() -> None:
    sim = Sim(total=1000, rate=10, elapsed=30.0)
    assert sim.meter.elapsed(0.0) == 30.0
    sim.run(0.5)
    assert sim.meter.elapsed(sim.now) == pytest.approx(30.5)
    assert sim.meter.eta is None  # this run's rate is still unknown
    sim.run(0.5)
    assert sim.meter.eta == pytest.approx(sim.true_eta)


def test_a_second_start_while_running_keeps_the_time_so_far() -> None:
    meter = Meter()
    meter.start(0.0, 0.0, 0.0)
    meter.start(4.0, 0.1, 10.0)
    assert meter.elapsed(6.0) == pytest.approx(6.0)


def test_finish_stops_the_clock_and_zeroes_the_eta() -> None:
    sim = Sim(total=1000, rate=10)
    sim.run(8)
    sim.meter.finish(sim.now)
    assert not sim.meter.running
    assert sim.meter.eta == 0.0
    assert sim.meter.elapsed(sim.now + 60) == pytest.approx(8)


def test_samples_before_start_are_ignored() -> None:
    meter = Meter()
    meter.sample(1.0, 0.5, 50, 0, 'items')
    assert (meter.speed, meter.eta, meter.elapsed(10.0)) == (None, None, 0.0)
