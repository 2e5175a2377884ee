"""Keep the event loop responsive while many jobs spin in pure Python.

CPython gives the GIL to whichever waiting thread gets it first, not to the one that has waited longest. With N
job threads running bytecode flat out, the event loop wins it about once per N switch intervals: 200 spinning
jobs × 5 ms ≈ 1 s between two turns of the loop, and every stream and page stalls (measured: p99 lag 8 s).

Only the jobs can fix that, so they do, at their pause/cancel points (`ctx.check()`, and `ctx.track()` per item):
the loop beats every few milliseconds; a job that finds the beat stale steps aside — it waits, without the GIL,
until the loop beats again. It waits on an event the beat sets rather than polling with short sleeps: 200 jobs
waking every millisecond to look would fight the loop for the GIL as hard as spinning does. Without a loop
(scripts, tests of the engine alone) the beat is never stale and a check costs one clock read.
"""

from __future__ import annotations

import asyncio
import math
import threading
import time

BEAT_SECONDS = 0.005
STALE_AFTER = 0.015  # three missed beats: the loop is waiting for the GIL (or busy)
LONGEST_WAIT = 0.05
WINDOW = 1.0
MOST_ASIDE = 0.8  # of each second, at most this much: a loop busy with its own work, or stuck, must not stall jobs


class LoopHeartbeat:
    def __init__(self) -> None:
        self.last = math.inf  # monotonic time of the last beat; inf: no loop to yield to
        self._handle: asyncio.TimerHandle | None = None
        self._next_beat = threading.Event()  # set (and replaced) by every beat

    def start(self, loop: asyncio.AbstractEventLoop) -> None:
        """Call on the loop."""
        def beat() -> None:
            self.last = time.monotonic()
            self._handle = loop.call_later(BEAT_SECONDS, beat)
            self._release()

        beat()

    def stop(self) -> None:
        if self._handle is not None:
            self._handle.cancel()
            self._handle = None
        self.last = math.inf
        self._release()

    def _release(self) -> None:
        waiting, self._next_beat = self._next_beat, threading.Event()
        waiting.set()

    def courtesy(self) -> Courtesy:
        """A job's own account of how long it has stepped aside."""
        return Courtesy(self)


class Courtesy:
    """One job's stepping aside, capped at 80 % of each second: a loop that is busy rather than starved (or stuck
    in a bug) must not stop its jobs. (With 200 spinning jobs a lower cap costs the loop a lot: at 50 % its 10 ms
    timer ran 37 times in 9 s, at 80 % 87 times, uncapped ~190 times; with 4 jobs the cap makes no difference.)"""

    __slots__ = ('_aside', '_heartbeat', '_window_start')

    def __init__(self, heartbeat: LoopHeartbeat) -> None:
        self._heartbeat = heartbeat
        self._window_start = 0.0
        self._aside = 0.0

    def yield_if_starved(self) -> None:
        """From the job's thread: if the loop has missed its beats, wait for its next one (at most 50 ms)."""
        heartbeat = self._heartbeat
        next_beat = heartbeat._next_beat  # taken before the look at the clock, so a beat in between is not missed
        now = time.monotonic()
        if now - heartbeat.last <= STALE_AFTER:
            return
        if now - self._window_start > WINDOW:
            self._window_start, self._aside = now, 0.0
        if self._aside >= MOST_ASIDE:
            return
        next_beat.wait(LONGEST_WAIT)
        self._aside += time.monotonic() - now
