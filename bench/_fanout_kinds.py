"""Kinds and an event-loop probe for bench/stream_fanout.py. Copied into the app's plugins folder, so they run in
the real server process; the `_` prefix keeps this file from loading as a plugin where it lies.

Plugins are imported in `Engine.start()`, which the app calls on the event loop at start-up, so importing this
module finds the server's running loop and starts two probes on it:

- timer lag: a callback scheduled every `PROBE_SECONDS` with `loop.call_later` records how late it runs;
- hand-off lag: a thread calls `loop.call_soon_threadsafe` every `PROBE_SECONDS` and records how long the loop
  takes to run the callback — the path the event bus uses to reach the loop from worker and sampler threads.

The `bench_fanout_probe` kind returns the samples of a time window and the bus's counters.

For experiments, `BENCH_SWITCH_INTERVAL` in the server's environment sets `sys.setswitchinterval` at import.
"""

from __future__ import annotations

import asyncio
import os
import sys
import threading
import time
from pathlib import Path
from typing import Any

from progress_app import JobContext, job_kind

PROBE_SECONDS = 0.01
BURST_SECONDS = 0.05  # with a rate: advance in bursts this far apart (20 wake-ups a second)
BATCH = 1000  # advances between two looks at the clock: the clock costs more than an advance

_loop_type: list[str] = []
_timer_lag: list[tuple[float, float]] = []  # (wall time, seconds late)
_handoff_lag: list[tuple[float, float]] = []


def _start_probes(loop: asyncio.AbstractEventLoop) -> None:
    def tick(due: float) -> None:
        now = time.perf_counter()
        _timer_lag.append((time.time(), now - due))
        loop.call_at(loop.time() + PROBE_SECONDS, tick, now + PROBE_SECONDS)

    _loop_type.append(f'{type(loop).__module__}.{type(loop).__name__}')
    loop.call_soon(tick, time.perf_counter())

    def arrived(sent: float) -> None:
        _handoff_lag.append((time.time(), time.perf_counter() - sent))

    def hand_off() -> None:
        while not loop.is_closed():
            time.sleep(PROBE_SECONDS)
            try:
                loop.call_soon_threadsafe(arrived, time.perf_counter())
            except RuntimeError:
                return

    threading.Thread(target=hand_off, name='bench-handoff-probe', daemon=True).start()


if os.environ.get('BENCH_SWITCH_INTERVAL'):
    sys.setswitchinterval(float(os.environ['BENCH_SWITCH_INTERVAL']))

try:
    _start_probes(asyncio.get_running_loop())
except RuntimeError:  # imported outside the server (no running loop): kinds only
    pass


_go_lock = threading.Lock()
_go: dict[Path, tuple[threading.Event, list[float]]] = {}


def _wait_for_go(path: Path) -> float:
    """Block until `path` exists and return the start time it holds. One thread polls for all jobs: 200 jobs
    polling themselves would keep the server's event loop from the GIL before the run even starts."""
    with _go_lock:
        if path not in _go:
            _go[path] = (threading.Event(), [])
            event, start = _go[path]

            def watch() -> None:
                while not path.exists():
                    time.sleep(0.01)
                start.append(float(path.read_text()))
                event.set()

            threading.Thread(target=watch, name='bench-go-watcher', daemon=True).start()
        event, start = _go[path]
    event.wait()
    return start[0]


@job_kind('bench_fanout_spin', title='Benchmark: advance as fast as possible')
def spin(ctx: JobContext, go_file: str, seconds: float = 10.0, rate: float = 0, total: float = 1e9,
         nice: int = 0) -> dict[str, Any]:
    """Wait until `go_file` exists (it holds the common start time), then call ctx.advance() in a tight loop until
    that time + `seconds`; return how many calls were made. With `rate` > 0, advance about `rate` times a second
    instead, in bursts every 50 ms, sleeping in between (a job whose work waits for I/O or runs outside the GIL).
    `nice` > 0 lowers the OS priority of the job's thread (Linux: threads have their own nice value)."""
    if nice:
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), nice)
    ctx.set_total(total, 'calls')
    start = _wait_for_go(Path(go_file))
    advance, check, clock = ctx.advance, ctx.check, time.time
    calls = 0
    began = clock()
    end = start + seconds
    if rate > 0:
        burst = max(round(rate * BURST_SECONDS), 1)
        while (now := clock()) < end:
            for _ in range(burst):
                advance()
            calls += burst
            check()
            # The rest of the interval is "work outside the GIL"; a job held up by the GIL does not race to
            # catch up (that would make it a spinner), it waits at least half an interval.
            time.sleep(max(now + BURST_SECONDS - clock(), BURST_SECONDS / 2))
        return {'calls': calls, 'began': began, 'ended': clock()}
    while True:
        for _ in range(BATCH):
            advance()
        calls += BATCH
        check()
        if clock() >= end:
            break
    return {'calls': calls, 'began': began, 'ended': clock()}


@job_kind('bench_fanout_probe', title='Benchmark: event-loop probe samples')
def probe(ctx: JobContext, since: float = 0.0, until: float = 1e18, settle: float = 10.0) -> dict[str, Any]:
    """The probes' lag samples (seconds) taken between wall times `since` and `until`, the bus's counters, and how
    many subscriptions are still open after waiting up to `settle` seconds for the closed clients' to end."""
    import gc

    from progress_app.runtime.live.bus import EventBus

    # Found by looking: a job is not handed the app's bus (nor should it be), and this is a benchmark's peek.
    bus = next(bus for bus in gc.get_objects() if isinstance(bus, EventBus))
    began = time.monotonic()
    while bus._subscribers and time.monotonic() - began < settle:
        time.sleep(0.05)
    return {
        'loop': _loop_type[0] if _loop_type else None,
        'switch_interval': sys.getswitchinterval(),
        'timer_lag': [lag for at, lag in list(_timer_lag) if since <= at <= until],
        'handoff_lag': [lag for at, lag in list(_handoff_lag) if since <= at <= until],
        'bus_delivered': bus.delivered,
        'subscribers': len(bus._subscribers),
        'subscribers_wait': time.monotonic() - began,
    }
