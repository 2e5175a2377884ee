"""Jobs take turns while the event loop is starved of the GIL: real threads, a real asyncio loop."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest

from progress_app.runtime.live import heartbeat as heartbeat_module
from progress_app.runtime.live.heartbeat import LEASE, SLICE, STALE_AFTER, LoopHeartbeat
from tests.helpers import wait_until


def starved() -> LoopHeartbeat:
    heartbeat = LoopHeartbeat()
    heartbeat.last = time.monotonic() - 10 * STALE_AFTER  # the loop has missed its beats (and never beats here)
    return heartbeat


@pytest.fixture
def spinners_look_busy(monkeypatch):
    """A busy loop in a test may lose its CPU to other processes on a loaded machine; it still counts as busy
    (a job that sleeps between pause points uses ~1 % of a CPU)."""
    monkeypatch.setattr(heartbeat_module, 'BUSY_SHARE', 0.1)


def busy_look_in(job) -> None:
    """What a spinning job does: look in at a pause point, keep a CPU busy for a moment, look in again."""
    job.yield_if_starved()
    end = time.thread_time() + 0.003
    while time.thread_time() < end:
        pass
    job.yield_if_starved()


def in_thread(target, *args) -> threading.Thread:
    thread = threading.Thread(target=target, args=args, daemon=True)
    thread.start()
    return thread


def test_without_a_loop_jobs_never_take_turns():
    heartbeat = LoopHeartbeat()
    jobs = [heartbeat.courtesy() for _ in range(3)]
    for _ in range(1000):
        for job in jobs:
            job.yield_if_starved()
    assert heartbeat.turns.holder is None and heartbeat.turns_until == 0


def test_a_stale_beat_makes_jobs_wait_for_their_turn_in_order(monkeypatch, spinners_look_busy):
    monkeypatch.setattr(heartbeat_module, 'LEASE', 30.0)  # the holder keeps its turn until it hands it on
    heartbeat = starved()
    first = heartbeat.courtesy()
    busy_look_in(first)
    assert heartbeat.turns.holder is first
    got_turn: list[int] = []
    waiters = []
    for n in range(3):
        job = heartbeat.courtesy()
        waiters.append(in_thread(lambda job=job, n=n: (busy_look_in(job), got_turn.append(n))))
        wait_until(lambda n=n: len(heartbeat.turns._waiting) == n + 1)  # they ask in this order
    time.sleep(SLICE)  # the first job's slice is used up (a real job spends it working)
    in_thread(first.yield_if_starved)  # the holder comes back to a pause point: hands the turn on and queues
    wait_until(lambda: got_turn == [0])
    assert heartbeat.turns.holder is not first and got_turn == [0]


def test_a_holder_that_does_not_come_back_loses_its_turn(spinners_look_busy):
    heartbeat = starved()
    holder, waiter = heartbeat.courtesy(), heartbeat.courtesy()
    busy_look_in(holder)  # then blocks in I/O, say, and never reaches a pause point again
    began = time.monotonic()
    busy_look_in(waiter)
    waited = time.monotonic() - began
    assert heartbeat.turns.holder is waiter
    assert LEASE * 0.9 <= waited < 2.0, waited


def test_a_paused_or_cancelled_job_stops_waiting_for_its_turn(monkeypatch, spinners_look_busy):
    monkeypatch.setattr(heartbeat_module, 'WAKE_EVERY', 0.02)
    monkeypatch.setattr(heartbeat_module, 'LEASE', 30.0)  # the holder keeps its turn for the whole test
    heartbeat = starved()
    busy_look_in(heartbeat.courtesy())
    called_away = threading.Event()
    first_in_line = heartbeat.courtesy()
    second = heartbeat.courtesy(called_away.is_set)
    in_thread(busy_look_in, first_in_line)
    wait_until(lambda: len(heartbeat.turns._waiting) == 1)
    waiting = in_thread(busy_look_in, second)
    wait_until(lambda: len(heartbeat.turns._waiting) == 2)
    called_away.set()
    waiting.join(5)
    assert not waiting.is_alive(), 'the cancelled job went on waiting for its turn'
    assert [w.job for w in heartbeat.turns._waiting] == [first_in_line]


def test_turns_end_a_while_after_the_loop_beats_again(monkeypatch, spinners_look_busy):
    monkeypatch.setattr(heartbeat_module, 'TURNS_FOR', 0.05)
    heartbeat = starved()
    holder, other = heartbeat.courtesy(), heartbeat.courtesy()
    busy_look_in(holder)
    waiting = in_thread(busy_look_in, other)
    wait_until(lambda: len(heartbeat.turns._waiting) == 1)
    heartbeat.last = time.monotonic() + 3600  # the loop beats "now" from here on
    wait_until(lambda: time.monotonic() > heartbeat.turns_until)
    holder.yield_if_starved()  # at its next pause point the holder finds the turns over: everyone goes on
    waiting.join(5)
    assert not waiting.is_alive()
    assert heartbeat.turns.holder is None


def test_the_holder_waits_for_a_busy_loop_to_beat_but_not_for_a_stuck_one(monkeypatch, spinners_look_busy):
    monkeypatch.setattr(heartbeat_module, 'LONGEST_ASIDE', 30.0)
    monkeypatch.setattr(heartbeat_module, 'LEASE', 60.0)
    heartbeat = starved()
    holder = heartbeat.courtesy()
    busy_look_in(holder)
    waiting = in_thread(holder.yield_if_starved)
    waiting.join(0.05)
    assert waiting.is_alive(), 'the holder did not let the busy loop catch up'
    heartbeat.beats += 1  # what the loop's next beat does
    heartbeat.next_beat.set()
    waiting.join(5)
    assert not waiting.is_alive() and heartbeat.turns.holder is holder

    monkeypatch.setattr(heartbeat_module, 'LONGEST_ASIDE', 0.2)
    heartbeat.next_beat = threading.Event()  # the loop is stuck: it never beats again
    began = time.monotonic()
    holder.yield_if_starved()  # waits once, in vain...
    holder.yield_if_starved()  # ...and not again until the loop beats
    holder.yield_if_starved()
    assert 0.2 <= time.monotonic() - began < 0.35


def test_a_job_that_waits_between_pause_points_does_not_wait_for_a_turn(monkeypatch, spinners_look_busy):
    monkeypatch.setattr(heartbeat_module, 'LEASE', 30.0)
    heartbeat = starved()
    busy_look_in(heartbeat.courtesy())  # a spinner holds the turn and keeps it
    assert heartbeat.turns.holder is not None
    sleeper = heartbeat.courtesy()
    began = time.monotonic()
    for _ in range(5):
        sleeper.yield_if_starved()
        time.sleep(0.004)  # its work: waiting for I/O, say
    assert time.monotonic() - began < 0.1
    assert not heartbeat.turns._waiting


def test_spinning_jobs_leave_the_event_loop_its_turns():
    """30 threads run bytecode flat out, looking in at a pause point every ~1,000 operations as ctx.check() does.
    Without turns the loop's 10 ms timer runs a handful of times a second (30 threads × 5 ms switch interval
    between two turns of the loop); with them it keeps close to its rate (one job competes with it, not 30)."""
    heartbeat = LoopHeartbeat()
    stop = threading.Event()

    def spin() -> None:
        courtesy, n = heartbeat.courtesy(), 0
        while not stop.is_set():
            for _ in range(1000):
                n += 1
            courtesy.yield_if_starved()

    async def ticks_in(seconds: float) -> int:
        heartbeat.start(asyncio.get_running_loop())
        spinners = [threading.Thread(target=spin) for _ in range(30)]
        for thread in spinners:
            thread.start()
        ticks, end = 0, time.monotonic() + seconds
        try:
            while time.monotonic() < end:
                await asyncio.sleep(0.01)
                ticks += 1
        finally:
            stop.set()
            heartbeat.stop()
            for thread in spinners:
                thread.join()
        return ticks

    ticks = asyncio.run(ticks_in(2.0))
    assert ticks >= 60, f'the event loop ran its 10 ms timer only {ticks} times in 2 s'
