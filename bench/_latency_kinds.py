"""Kinds for bench/ui_latency.py. Copied into the app's plugins folder, so they run in the real server process; the
`_` prefix keeps this file from loading as a plugin where it lies.

- `bench_latency_marker`: every `interval` (± `jitter`) seconds sets a new message 'tick N @ <time.time() of
  the change>' (and advances one unit), so a browser can tell when each change reached its DOM;
- `bench_latency_load`: advances about once every `period` seconds (with a random phase) and otherwise sleeps —
  the background of a busy dashboard;
- `bench_latency_hold`: only occupies a worker until it is cancelled or `seconds` pass (used to keep load jobs
  queued while they are submitted, so the queued ones get the lowest ids).
"""

from __future__ import annotations

import random
import time
from typing import Any

from progress_app import JobContext, job_kind

CHECK_SECONDS = 0.1  # how soon a waiting marker or hold job notices cancel, pause or shutdown


def _sleep_until(ctx: JobContext, when: float, chunk: float = CHECK_SECONDS) -> None:
    while (wait := when - time.time()) > 0:
        time.sleep(min(wait, chunk))
        ctx.check()


@job_kind('bench_latency_marker', title='Benchmark: timestamped ticks')
def marker(ctx: JobContext, seconds: float = 30.0, interval: float = 0.4, jitter: float = 0.1) -> dict[str, Any]:
    """Every `interval` ± `jitter` seconds: advance and set the message 'tick N @ <wall time of the change>'.

    The jitter spreads the changes over the phases of the pages' refresh timers: with a fixed 0.4 s a 0.2 s timer
    would meet every change at the same point of its period and every sample would show the same latency.
    """
    ticks = max(1, int(seconds / interval))
    ctx.set_total(ticks, 'ticks')
    due = time.time()
    for n in range(1, ticks + 1):
        due += interval + random.uniform(-jitter, jitter)
        _sleep_until(ctx, due)
        ctx.advance()
        ctx.message(f'tick {n} @ {time.time():.6f}')
    return {'ticks': ticks}


@job_kind('bench_latency_load', title='Benchmark: slow background load')
def load(ctx: JobContext, seconds: float = 600.0, period: float = 1.0) -> dict[str, Any]:
    """Advance (and change the message) about once every `period` seconds, for `seconds`; sleep otherwise."""
    steps = max(1, int(seconds / period))
    ctx.set_total(steps, 'steps')
    start = time.time() + random.uniform(0, period)
    for n in range(1, steps + 1):
        _sleep_until(ctx, start + n * period, chunk=period)  # one wake-up per step: the load is the steps
        ctx.advance()
        ctx.message(f'step {n}')
    return {'steps': steps}


@job_kind('bench_latency_hold', title='Benchmark: hold a worker')
def hold(ctx: JobContext, seconds: float = 600.0) -> None:
    """Do nothing for `seconds` (or until cancelled)."""
    _sleep_until(ctx, time.time() + seconds)
