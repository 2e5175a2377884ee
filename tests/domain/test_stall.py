"""Stall detection on a fake clock (domain/stall.py): the limit follows the job's own pace, never below the
minimum; it clears when progress moves; a job without progress is judged by its expected duration."""

from __future__ import annotations

from progress_app.domain import stall
from progress_app.domain.stall import StallWatch


def feed(watch: StallWatch, moves: list[float], key_start: int = 0) -> None:
    for i, at in enumerate(moves):
        watch.see(at, key_start + i)


def test_the_limit_is_ten_times_the_pace_and_never_below_the_minimum():
    assert stall.limit(None, 60) == 60
    assert stall.limit(2.0, 60) == 60
    assert stall.limit(30.0, 60) == 300
    assert stall.limit(0.5, 5) == 5


def test_a_job_stalls_after_ten_times_its_pace_and_clears_when_it_moves():
    watch = StallWatch(minimum=60)
    feed(watch, [float(t) for t in range(0, 100, 10)])  # a move every 10 s: limit 100 s
    last = 90.0
    assert watch.pace == 10
    assert watch.see(last + 99, 9) is None
    assert watch.see(last + 100, 9) == 'stalled'
    assert watch.stalled and watch.still_for(last + 100) == 100
    assert watch.see(last + 150, 9) is None  # said once
    assert watch.see(last + 151, 10) == 'unstalled'
    assert not watch.stalled and watch.pace == 10  # the stall does not count toward the pace
    assert watch.see(last + 200, 10) is None


def test_a_fast_job_uses_the_minimum():
    watch = StallWatch(minimum=60)
    feed(watch, [i * 1.0 for i in range(20)])
    assert watch.see(19 + 59, 19) is None
    assert watch.see(19 + 60, 19) == 'stalled'


def test_a_job_without_progress_stalls_only_past_twice_its_expected_duration():
    watch = StallWatch(minimum=1)
    assert watch.see(0, 'same') is None
    assert watch.see(1000, 'same') is None  # no pace, no expectation: never
    assert watch.see(20, 'same', expected_seconds=10) is None
    assert watch.see(20.5, 'same', expected_seconds=10) == 'stalled'
    assert stall.overdue(21, 10) and not stall.overdue(19, 10) and not stall.overdue(1e9, None)


def test_on_stall_is_warn_or_fail():
    assert stall.problems({}) == [] and stall.problems({'on_stall': 'fail'}) == []
    assert stall.problems({'on_stall': 'explode'})[0]['loc'][-1] == 'on_stall'
    assert stall.option({'on_stall': 'warn', 'x': 1}) == {'on_stall': 'warn'} and stall.option({}) == {}
    assert stall.stalled_words(125) == 'stalled: no progress for 2 min 5 s'


def test_the_pace_is_time_per_unit_when_a_look_finds_many_units_done():
    watch = StallWatch(minimum=1)
    watch.see(0, (0, 0), count=0)
    watch.see(1, (0, 20), count=20)  # 20 units in a second
    assert watch.pace == 0.05
    assert watch.see(1.9, (0, 20), count=20) is None
    assert watch.see(2.0, (0, 20), count=20) == 'stalled'
