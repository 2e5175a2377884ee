"""Keep the event loop responsive while many jobs spin in pure Python.

CPython gives the GIL to whichever waiting thread gets it first, not to the one that has waited longest. With N
job threads running bytecode flat out, the event loop wins it about once per N switch intervals: 200 spinning
jobs × 5 ms ≈ 1 s between two turns of the loop, and every stream and page stalls (measured: p99 lag 8 s).

Only the jobs can fix that, so they do, at their pause/cancel points (`ctx.check()`, and `ctx.track()` per item).
The loop beats every 5 ms. A job that finds the beat stale (the loop waited 15 ms for the GIL) makes the jobs
*take turns* for the next two seconds: one job at a time runs for a 5 ms slice, then hands the turn to the job
that has waited longest and waits (without the GIL) for its own next turn. The loop then competes with one
thread instead of N and gets the GIL within one switch interval — and pure-Python jobs lose nothing, since the
GIL let only one of them run at a time anyway. Two seconds after the last stale beat the turns end; spinning
jobs bring them back within one stale period, jobs whose work runs outside the GIL go on together again.

While the loop has work (its beat is 10 ms old), the job holding the turn waits for the loop's next beat, for
at most 10 ms; if the loop has not beaten by then it is busy with a long callback rather than short of the GIL,
and the holder goes on until the loop beats again.

Jobs that mostly wait (for I/O, a child process, a sleep) do not take part: only a job whose thread kept a CPU
busy since its last pause point waits for a turn. A job that holds the turn but does not come back to a pause
point within 20 ms (it waits for I/O, runs C code, is paused, or ended) loses it to the next one, so no job can
hold up the others. Without a loop (scripts, tests of the engine alone) the beat is never stale and a check
costs one clock read.
"""

from __future__ import annotations

import asyncio
import math
import threading
import time
from collections import deque
from collections.abc import Callable

BEAT_SECONDS = 0.005
STALE_AFTER = 0.015  # three missed beats: the loop is waiting for the GIL (or busy)
TURNS_FOR = 2.0  # after a stale beat, jobs take turns this long
SLICE = 0.005  # a turn: one switch interval
LEASE = 0.02  # a turn's holder not back at a pause point for this long has left it to the next job
BUSY_SHARE = 0.5  # a job whose thread used this share of a CPU since it last looked in is a spinner
WAKE_EVERY = 0.25  # a waiter not first in line looks whether turns are over or its job was paused or cancelled
BEHIND_AFTER = 0.01  # the turn's holder finds the beat this old: the loop has work, the holder waits for its beat
LONGEST_ASIDE = 0.01  # ... for at most this long; a loop that has not beaten by then is busy, not starved


class LoopHeartbeat:
    def __init__(self) -> None:
        self.last = math.inf  # monotonic time of the last beat; inf: no loop to yield to
        self.turns_until = 0.0  # monotonic time until which jobs take turns
        self.turns = Turns()
        self.beats = 0
        self.next_beat = threading.Event()  # set, and replaced, by every beat
        self._handle: asyncio.TimerHandle | None = None

    def start(self, loop: asyncio.AbstractEventLoop) -> None:
        """Call on the loop."""
        def beat() -> None:
            self.last = time.monotonic()
            self.beats += 1
            self._handle = loop.call_later(BEAT_SECONDS, beat)
            this_beat, self.next_beat = self.next_beat, threading.Event()
            this_beat.set()

        beat()

    def stop(self) -> None:
        if self._handle is not None:
            self._handle.cancel()
            self._handle = None
        self.last = math.inf
        self.turns_until = 0.0
        self.next_beat.set()

    def courtesy(self, called_away: Callable[[], bool] = lambda: False) -> Courtesy:
        """A job's handle on the turns; `called_away()` true (a pause or cancel) ends its wait for a turn."""
        return Courtesy(self, called_away)


class _Waiter:
    __slots__ = ('called', 'event', 'job')

    def __init__(self, job: Courtesy) -> None:
        self.job = job
        self.event = threading.Event()  # set when called, or to tell the waiter it is first in line now
        self.called = False


class Turns:
    """A turn that passes between jobs in the order they asked for it (threading.Lock is not fair).

    Only the first waiter watches the holder's lease; the others look up four times a second (turns over, or
    their job paused or cancelled), so 200 waiting jobs do not fight the loop for the GIL as spinning did.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.holder: Courtesy | None = None
        self.taken_at = 0.0  # when the holder got the turn
        self.seen_at = 0.0  # when the holder was last at a pause point
        self._waiting: deque[_Waiter] = deque()

    def take(self, job: Courtesy, active: Callable[[], bool]) -> None:
        """Block until `job` holds the turn, the holder has left it, or `active()` says turns are over."""
        with self._lock:
            if self.holder is None or self.holder is job or time.monotonic() - self.seen_at > LEASE:
                self._give(job)
                return
            waiter = _Waiter(job)
            self._waiting.append(waiter)
        while True:
            waiter.event.wait(LEASE if self._waiting and self._waiting[0] is waiter else WAKE_EVERY)
            with self._lock:
                if waiter.called:
                    return
                waiter.event.clear()
                if not active():
                    self._waiting.remove(waiter)
                    self._tell_first()
                    return
                if self._waiting[0] is waiter and time.monotonic() - self.seen_at > LEASE:  # the holder left
                    self._waiting.popleft()
                    self._give(job)
                    self._tell_first()
                    return

    def pass_on(self, job: Courtesy) -> bool:
        """From the holder, its slice used up: give the turn to the longest waiter. False if nobody waits."""
        with self._lock:
            if self.holder is not job:
                return True
            if not self._waiting:
                self.taken_at = self.seen_at = time.monotonic()
                return False
            successor = self._waiting.popleft()
            self._give(successor.job)
            successor.called = True
            successor.event.set()
            self._tell_first()
            return True

    def end(self) -> None:
        """Turns are over: nobody holds the turn and every waiter goes on."""
        with self._lock:
            self.holder = None
            self._release_all()

    def _give(self, job: Courtesy) -> None:
        self.holder = job
        self.taken_at = self.seen_at = time.monotonic()

    def _tell_first(self) -> None:
        if self._waiting:
            self._waiting[0].event.set()

    def _release_all(self) -> None:
        for waiter in self._waiting:
            waiter.called = True
            waiter.event.set()
        self._waiting.clear()


class Courtesy:
    """One job's part in the turns (see the module docstring).

    Only a job that kept a CPU busy since it last looked in waits for a turn: one that slept or waited for I/O
    in between (a batch step, a child process, `time.sleep`) needs no GIL to speak of and goes straight on.
    """

    __slots__ = ('_called_away', '_cpu', '_excused', '_heartbeat', '_turns', '_wall')

    def __init__(self, heartbeat: LoopHeartbeat, called_away: Callable[[], bool]) -> None:
        self._heartbeat = heartbeat
        self._turns = heartbeat.turns
        self._called_away = called_away
        self._wall = 0.0
        self._cpu: float | None = None  # the job's thread CPU time when it last looked in while turns were on
        self._excused = -1  # the beat after which the loop made this job wait in vain: no waiting until the next

    def yield_if_starved(self) -> None:
        """From the job's thread, at a pause point: take turns with the other jobs while the loop needs it."""
        heartbeat = self._heartbeat
        now = time.monotonic()
        if now - heartbeat.last > STALE_AFTER:
            heartbeat.turns_until = now + TURNS_FOR
        elif now >= heartbeat.turns_until:
            if self._turns.holder is not None:
                self._turns.end()
            self._cpu = None
            return
        cpu = time.thread_time()
        busy = self._cpu is not None and cpu - self._cpu >= BUSY_SHARE * (now - self._wall)
        turns = self._turns
        if turns.holder is self:
            turns.seen_at = now
            if now - turns.taken_at >= SLICE and turns.pass_on(self):
                turns.take(self, self._taking_turns)
            elif now - heartbeat.last > BEHIND_AFTER and heartbeat.beats != self._excused:
                self._step_aside()
        elif busy:
            turns.take(self, self._taking_turns)
        self._wall, self._cpu = time.monotonic(), time.thread_time()

    def _step_aside(self) -> None:
        """The holder lets the loop catch up: it waits for the loop's next beat, keeping its turn."""
        heartbeat, beats = self._heartbeat, self._heartbeat.beats
        next_beat = heartbeat.next_beat
        if heartbeat.beats == beats and not next_beat.wait(LONGEST_ASIDE):
            self._excused = heartbeat.beats
        self._turns.seen_at = time.monotonic()

    def _taking_turns(self) -> bool:
        return time.monotonic() < self._heartbeat.turns_until and not self._called_away()
