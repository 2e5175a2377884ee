"""Kinds and an event-loop probe for bench/executor.py. Copied into the app's plugins folder, so the jobs run where
the app's executor runs them (its threads, or Dask worker processes, which get the plugin shipped); the `_` prefix
keeps this file from loading as a plugin where it lies.

The app imports its plugins in `Engine.start()`, on the event loop: importing this module there (and only there:
not in a worker process, whose parent is a nanny) starts a probe on the server's loop, a callback scheduled every
`PROBE_SECONDS` that records how late it runs. A thread appends the samples (wall time, seconds late) to the file
named by `BENCH_EXECUTOR_LAG_FILE` four times a second, so the benchmark reads them without asking the app.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import threading
import time
from typing import Any

from progress_app import JobContext, job_kind

PROBE_SECONDS = 0.01
FLUSH_SECONDS = 0.25


def burn(rounds: int) -> int:
    """Pure-Python arithmetic: holds the GIL all along."""
    x = 0
    for i in range(rounds):
        x = (x * 31 + i) % 1_000_003
    return x


def map_item(rounds: int) -> dict[str, Any]:
    return {'value': burn(rounds), 'pid': os.getpid()}


@job_kind('bench_executor_cpu', title='Benchmark: CPU-bound pure Python')
def cpu(ctx: JobContext, rounds: int = 30_000_000, chunks: int = 200) -> dict[str, Any]:
    per, x = rounds // chunks, 0
    for _ in ctx.track(range(chunks), unit='chunks'):
        x ^= burn(per)
    return {'value': x, 'pid': os.getpid()}


@job_kind('bench_executor_map', title='Benchmark: ctx.map over CPU-bound items')
def mapped(ctx: JobContext, items: int = 80, rounds: int = 1_000_000) -> dict[str, Any]:
    results = ctx.map(map_item, [rounds] * items, unit='items')
    return {'items': len(results), 'pid': os.getpid(), 'item_pids': sorted({r['pid'] for r in results})}


def _start_probe(loop: asyncio.AbstractEventLoop, path: str) -> None:
    samples: list[tuple[float, float]] = []

    def tick(due: float) -> None:
        now = time.perf_counter()
        samples.append((time.time(), now - due))
        loop.call_at(loop.time() + PROBE_SECONDS, tick, now + PROBE_SECONDS)

    def flush() -> None:
        while not loop.is_closed():
            time.sleep(FLUSH_SECONDS)
            taken = samples[:]
            del samples[:len(taken)]
            with open(path, 'a') as out:
                out.writelines(f'{at:.6f} {lag:.6f}\n' for at, lag in taken)

    loop.call_soon(tick, time.perf_counter())
    threading.Thread(target=flush, name='bench-lag-flush', daemon=True).start()


if os.environ.get('BENCH_EXECUTOR_LAG_FILE') and multiprocessing.parent_process() is None:
    try:
        _start_probe(asyncio.get_running_loop(), os.environ['BENCH_EXECUTOR_LAG_FILE'])
    except RuntimeError:  # imported outside the server's loop: kinds only
        pass
