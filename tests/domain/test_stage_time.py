"""Stage times summed over attempts, on a fake clock."""

from __future__ import annotations

import pytest

from progress_app.domain.stage_time import StageClock


def test_a_stage_time_is_the_running_time_summed_over_attempts_without_pauses() -> None:
    clock = StageClock()
    clock.new_attempt()
    clock.enter(0, now=0.0)  # prepare: 1 s
    clock.enter(1, now=1.0)  # process: 2 s, a 5 s pause, 1 s, then the app stops
    clock.leave(now=3.0)
    clock.enter(1, now=8.0)  # resumed in the same attempt: not an attempt more
    clock.leave(now=9.0)
    assert (clock.running_seconds(0, 9.0), clock.running_seconds(1, 9.0)) == (1.0, 3.0)
    assert clock.attempts == {0: 1, 1: 1}

    clock.new_attempt()  # after a restart the job walks through its stages again
    clock.enter(0, now=100.0)
    clock.enter(1, now=100.5)
    assert clock.running_seconds(1, now=102.5) == pytest.approx(5.0), 'the open span counts as it runs'
    clock.leave(now=103.0)
    assert clock.running_seconds(0, 200.0) == pytest.approx(1.5)
    assert clock.running_seconds(1, 200.0) == pytest.approx(5.5)
    assert clock.attempts == {0: 2, 1: 2}
    assert clock.running_seconds(2, 200.0) == 0.0


def test_times_stored_with_the_job_go_on_from_where_they_were() -> None:
    clock = StageClock(seconds={0: 4.0}, attempts={0: 1})
    clock.new_attempt()
    clock.enter(0, now=10.0)
    clock.leave(now=12.0)
    assert (clock.running_seconds(0, 50.0), clock.attempts[0]) == (6.0, 2)
