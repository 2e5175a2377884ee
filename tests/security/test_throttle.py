"""The login throttle on a fake clock: free tries, then a growing wait, never a lock-out; forgetting."""

from __future__ import annotations

from progress_app.security.throttle import FORGET_SECONDS, FREE_FAILURES, MAX_CLIENTS, MAX_DELAY_SECONDS, Throttle


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_free_tries_then_a_wait_that_doubles_up_to_a_cap():
    clock = Clock()
    throttle = Throttle(clock)
    for left in range(FREE_FAILURES - 1, -1, -1):
        assert throttle.retry_after('a') == 0
        assert throttle.failed('a') == left
    waits = []
    for _ in range(12):
        wait = throttle.retry_after('a')
        waits.append(wait)
        clock.now += wait
        assert throttle.retry_after('a') == 0  # after the wait, a try is checked again: never a lock-out
        throttle.failed('a')
    assert waits[:4] == [1.0, 2.0, 4.0, 8.0]
    assert max(waits) == MAX_DELAY_SECONDS == waits[-1]


def test_other_clients_are_not_affected_and_success_resets():
    clock = Clock()
    throttle = Throttle(clock)
    for _ in range(FREE_FAILURES + 3):
        throttle.failed('guesser')
    assert throttle.retry_after('guesser') > 0
    assert throttle.retry_after('owner') == 0
    clock.now += throttle.retry_after('guesser')
    throttle.succeeded('guesser')
    throttle.failed('guesser')
    assert throttle.retry_after('guesser') == 0


def test_clients_that_stop_failing_are_forgotten():
    clock = Clock()
    throttle = Throttle(clock)
    for _ in range(FREE_FAILURES + 5):
        throttle.failed('a')
    clock.now += FORGET_SECONDS + 1
    assert throttle.retry_after('a') == 0
    assert throttle.failed('a') == FREE_FAILURES - 1  # counted afresh
    assert len(throttle._failures) == 1


def test_memory_is_bounded_whatever_the_number_of_addresses():
    throttle = Throttle(Clock())
    for i in range(MAX_CLIENTS + 500):
        throttle.failed(f'10.0.{i // 256}.{i % 256}')
    assert len(throttle._failures) == MAX_CLIENTS
