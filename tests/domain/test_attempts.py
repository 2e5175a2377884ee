"""A job's time limit and retries as plain values (domain/attempts.py)."""

from __future__ import annotations

import pytest

from progress_app.domain import attempts


def test_the_delay_doubles_from_the_first_and_stops_at_an_hour():
    options = {'retries': 20, 'retry_delay_seconds': 5}
    assert [attempts.retry_delay(options, n) for n in (1, 2, 3, 4)] == [5, 10, 20, 40]
    assert attempts.retry_delay(options, 20) == attempts.RETRY_DELAY_MAX == 3600
    assert attempts.retry_delay({'retries': 1}, 1) == attempts.DEFAULT_RETRY_DELAY
    assert attempts.retry_delay({'retries': 3, 'retry_delay_seconds': 0}, 3) == 0
    assert attempts.retry_delay({'retries': 100, 'retry_delay_seconds': 3600}, 100) == 3600


def test_retries_are_counted_until_none_are_left():
    options = {'retries': 2}
    assert attempts.next_retry(options) == 1
    options = attempts.retrying(options, 1, elapsed=3.0)
    assert attempts.next_retry(options) == 2
    options = attempts.retrying(options, 2, elapsed=7.0)
    assert attempts.next_retry(options) is None
    assert attempts.next_retry({}) is None and attempts.next_retry({'retries': 0}) is None


def test_what_a_waiting_retry_says():
    options = attempts.retrying({'retries': 3}, 2, elapsed=0.0)
    assert attempts.waiting_retry(options) == {'number': 2, 'of': 3}
    assert attempts.retry_words(options) == 'retry 2 of 3'
    assert attempts.retry_words({'retries': 3}) is None


def test_the_time_left_counts_the_current_try_only():
    assert attempts.timeout_left({}, 100.0) is None
    assert attempts.timeout_left({'timeout_seconds': 10}, 4.0) == 6.0
    retried = attempts.retrying({'timeout_seconds': 10, 'retries': 1}, 1, elapsed=12.0)
    assert attempts.timeout_left(retried, 15.0) == 7.0
    by_hand = attempts.fresh_try(retried, elapsed=20.0)
    assert 'retry' not in by_hand and attempts.timeout_left(by_hand, 21.0) == 9.0
    assert attempts.fresh_try({'retries': 1, 'retry': {'number': 1}}, 5.0) == {'retries': 1}
    assert attempts.timed_out({'timeout_seconds': 90}) == 'timed out after 1 min 30 s'


def test_the_policy_of_a_submission():
    assert attempts.policy({'timeout_seconds': 5, 'retries': 0, 'retry_delay_seconds': None, 'notify': True}) == {
        'timeout_seconds': 5}
    assert attempts.policy({'retries': 2, 'retry_delay_seconds': 0}) == {'retries': 2, 'retry_delay_seconds': 0}
    assert attempts.policy({'retries': 0, 'retry_delay_seconds': 5}) == {}
    assert attempts.problems({'timeout_seconds': 2.5, 'retries': 3.0, 'retry_delay_seconds': 0, 'x': 1}) == []


@pytest.mark.parametrize(('options', 'field'), [
    ({'timeout_seconds': 0}, 'timeout_seconds'), ({'timeout_seconds': 'soon'}, 'timeout_seconds'),
    ({'timeout_seconds': attempts.TIMEOUT_MAX + 1}, 'timeout_seconds'), ({'retries': True}, 'retries'),
    ({'retries': attempts.RETRIES_MAX + 1}, 'retries'), ({'retry_delay_seconds': 3600.5}, 'retry_delay_seconds'),
])
def test_a_bad_policy_names_its_field(options, field):
    assert [problem['loc'] for problem in attempts.problems(options)] == [[field]]
