"""Jobs step aside for a GIL-starved event loop: real threads, a real asyncio loop."""

from __future__ import annotations

import asyncio
import threading
import time

from progress_app.runtime import heartbeat as heartbeat_module
from progress_app.runtime.heartbeat import MOST_ASIDE, STALE_AFTER, LoopHeartbeat


def step_aside_in_thread(courtesy) -> threading.Thread:
    thread = threading.Thread(target=courtesy.yield_if_starved)
    thread.start()
    return thread


def test_without_a_loop_a_job_never_waits():
    courtesy = LoopHeartbeat().courtesy()
    for _ in range(1000):
        courtesy.yield_if_starved()
    assert courtesy._aside == 0


def test_a_job_waits_for_a_stale_loop_until_its_next_beat(monkeypatch):
    monkeypatch.setattr(heartbeat_module, 'LONGEST_WAIT', 30.0)  # only the beat can end the wait
    heartbeat = LoopHeartbeat()
    heartbeat.last = time.monotonic() - 10 * STALE_AFTER  # the loop has missed its beats
    courtesy = heartbeat.courtesy()
    waiting = step_aside_in_thread(courtesy)
    waiting.join(0.01)
    assert waiting.is_alive(), 'the job did not wait for the starved loop'
    heartbeat._release()  # what the loop's next beat does
    waiting.join(10)
    assert not waiting.is_alive()
    assert 0 < courtesy._aside < 10


def test_a_fresh_beat_costs_a_job_nothing():
    heartbeat = LoopHeartbeat()
    heartbeat.last = time.monotonic() + 3600  # beats "now" for the length of the test
    courtesy = heartbeat.courtesy()
    courtesy.yield_if_starved()
    assert courtesy._aside == 0


def test_a_job_stops_stepping_aside_once_it_has_given_most_of_a_second(monkeypatch):
    monkeypatch.setattr(heartbeat_module, 'WINDOW', 3600.0)  # no new window mid-test on a slow machine
    heartbeat = LoopHeartbeat()
    heartbeat.last = time.monotonic() - 10 * STALE_AFTER  # stuck: it never beats again
    courtesy = heartbeat.courtesy()
    began = time.monotonic()
    while courtesy._aside < MOST_ASIDE:
        courtesy.yield_if_starved()
    spent = time.monotonic() - began
    calls_after = 0
    after = time.monotonic()
    while calls_after < 10_000:
        courtesy.yield_if_starved()
        calls_after += 1
    assert time.monotonic() - after < spent / 2, 'a stuck loop went on stalling the job'


def test_spinning_jobs_leave_the_event_loop_its_turns():
    """30 threads run bytecode flat out, looking in at a pause point every ~1,000 operations as ctx.check() does.
    Without stepping aside the loop's 10 ms timer runs a handful of times a second (30 threads × 5 ms switch
    interval between turns); with it the timer keeps close to its rate."""
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
    assert ticks >= 40, f'the event loop ran its 10 ms timer only {ticks} times in 2 s'
