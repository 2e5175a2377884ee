"""The dispatcher on its own: serving loops in threads the tests keep track of, jobs that block until let go."""

from __future__ import annotations

import threading

import pytest

from progress_app.runtime.engine import dispatcher as dispatcher_module
from progress_app.runtime.engine.dispatcher import Dispatcher
from tests.helpers import wait_until


class Loops:
    """Starts the serving loops (each in a thread of its own, as the dispatcher does) and counts them."""

    def __init__(self) -> None:
        self.added = 0
        self.threads: list[threading.Thread] = []
        self.dispatcher: Dispatcher | None = None
        self.runs: list[int] = []  # job ids in the order they started
        self.running: set[int] = set()
        self.most_at_once = 0
        self.release: dict[int, threading.Event] = {}
        self.lock = threading.Lock()

    def start(self, target) -> None:
        self.added += 1
        thread = threading.Thread(target=target, daemon=True)
        self.threads.append(thread)
        thread.start()

    def run(self, job_id: int) -> None:
        with self.lock:
            self.runs.append(job_id)
            self.running.add(job_id)
            self.most_at_once = max(self.most_at_once, len(self.running))
            gate = self.release.setdefault(job_id, threading.Event())
        gate.wait(10)
        with self.lock:
            self.running.discard(job_id)

    def let_go(self, *job_ids: int) -> None:
        for job_id in job_ids:
            with self.lock:
                self.release.setdefault(job_id, threading.Event()).set()


@pytest.fixture
def loops(monkeypatch) -> Loops:
    monkeypatch.setattr(dispatcher_module, 'LINGER_SECONDS', 0.5)
    return Loops()


def make(loops: Loops, limit: int) -> Dispatcher:
    dispatcher = Dispatcher(loops.run, limit, start=loops.start)
    loops.dispatcher = dispatcher
    dispatcher.open()
    return dispatcher


def test_priority_then_age_decides_the_order_and_the_positions(loops):
    dispatcher = make(loops, 1)
    dispatcher.enqueue(1, 0)  # taken by the one loop at once
    for job_id, priority in ((2, 0), (3, 5), (4, 0), (5, 5), (6, -1)):
        dispatcher.enqueue(job_id, priority)
    assert dispatcher.positions() == {3: 1, 5: 2, 2: 3, 4: 4, 6: 5}
    assert [dispatcher.position(j) for j in (3, 5, 2, 4, 6)] == [1, 2, 3, 4, 5]
    assert dispatcher.position(1) is None  # handed to a loop: not queued any more
    loops.let_go(1, 2, 3, 4, 5, 6)
    wait_until(lambda: len(loops.runs) == 6)
    assert loops.runs == [1, 3, 5, 2, 4, 6]


def test_queued_again_with_another_priority_keeps_one_place(loops):
    dispatcher = make(loops, 1)
    dispatcher.enqueue(1, 0)
    dispatcher.enqueue(2, 0)
    dispatcher.enqueue(3, 0)
    dispatcher.enqueue(2, 9)
    assert dispatcher.positions() == {2: 1, 3: 2}
    dispatcher.discard(3)
    assert dispatcher.positions() == {2: 1}
    assert dispatcher.stats() == {'queued': 1, 'running': 1, 'limit': 1}
    loops.let_go(1, 2)
    wait_until(lambda: loops.runs == [1, 2])


def test_at_most_limit_jobs_run_and_a_busy_queue_starts_no_loop_per_job(loops):
    dispatcher = make(loops, 3)
    for job_id in range(1, 21):
        dispatcher.enqueue(job_id, 0)
    wait_until(lambda: len(loops.running) == 3)
    assert loops.added == 3
    loops.let_go(*range(1, 21))
    wait_until(lambda: len(loops.runs) == 20 and not loops.running)
    assert loops.most_at_once == 3
    assert loops.added == 3  # the three loops took every job; none was started for a job on its own
    dispatcher.enqueue(21, 0)  # an idle loop (lingering) takes it: still no new loop
    loops.let_go(21)
    wait_until(lambda: 21 in loops.runs)
    assert loops.added == 3
    wait_until(lambda: not any(t.is_alive() for t in loops.threads), timeout=5)  # idle loops end after lingering
    dispatcher.enqueue(22, 0)
    loops.let_go(22)
    wait_until(lambda: 22 in loops.runs)
    assert loops.added == 4


def test_a_lowered_limit_ends_loops_and_a_raised_one_starts_them(loops):
    dispatcher = make(loops, 3)
    for job_id in range(1, 10):
        dispatcher.enqueue(job_id, 0)
    wait_until(lambda: len(loops.running) == 3)
    dispatcher.set_limit(1)
    loops.let_go(1, 2, 3)
    wait_until(lambda: len(loops.runs) == 4)
    assert len(loops.running) == 1
    dispatcher.set_limit(2)
    wait_until(lambda: len(loops.running) == 2)
    loops.let_go(*range(4, 10))
    wait_until(lambda: len(loops.runs) == 9 and not loops.running)
    assert loops.most_at_once == 3


def test_close_stops_taking_jobs_and_gives_back_the_ones_not_started(loops):
    dispatcher = make(loops, 2)
    dispatcher.close()
    dispatcher.enqueue(1, 0)
    assert loops.added == 0 and dispatcher.positions() == {1: 1}
    dispatcher.open()
    dispatcher.enqueue(2, 0)
    wait_until(lambda: len(loops.running) == 2)
    dispatcher.enqueue(3, 0)
    dispatcher.close()
    loops.let_go(1, 2, 3)
    wait_until(lambda: not any(t.is_alive() for t in loops.threads))
    assert sorted(loops.runs) == [1, 2] and dispatcher.positions() == {3: 1} and dispatcher.busy() == set()


def test_jobs_handed_to_a_loop_that_never_starts_go_back_to_the_queue(loops):
    def refuse(target):
        raise RuntimeError("can't create new thread at interpreter shutdown")

    dispatcher = Dispatcher(loops.run, 2, start=refuse)
    dispatcher.open()
    with pytest.raises(RuntimeError):
        dispatcher.enqueue(7, 0)
    assert dispatcher.positions() == {7: 1} and dispatcher.busy() == set()
    assert dispatcher.stats()['running'] == 0


def test_an_abandoned_loop_gives_its_slot_away_and_takes_nothing_more_when_its_job_returns(loops):
    dispatcher = make(loops, 1)
    for job_id in (1, 2, 3):
        dispatcher.enqueue(job_id, 0)
    wait_until(lambda: loops.running == {1})
    dispatcher.abandon(1)  # job 1 is being cancelled and does not return: another loop runs the queue
    wait_until(lambda: loops.running == {1, 2})
    assert loops.added == 2 and dispatcher.busy() == {2}
    assert dispatcher.stats() == {'queued': 1, 'running': 1, 'limit': 1}
    dispatcher.abandon(1)  # asked twice: counted out once
    loops.let_go(1)  # returns at last: its loop ends instead of taking job 3, and no slot is freed twice
    wait_until(lambda: not loops.threads[0].is_alive())
    assert loops.running == {2} and dispatcher.positions() == {3: 1}
    loops.let_go(2, 3)
    wait_until(lambda: loops.runs == [1, 2, 3] and not loops.running)
    assert loops.most_at_once == 2 and loops.added == 2
