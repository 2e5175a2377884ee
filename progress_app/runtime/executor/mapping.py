"""`DaskMapper`: `ctx.map()`'s items as Dask tasks, for a job function that itself runs in a task on a worker.

The job's task leaves the worker's thread pool while it waits (it secedes, and rejoins when the map is done), so
its own thread does not hold a slot the items need. At most two tasks per worker thread are in flight: enough to
keep every core busy, few enough that a pause or a cancel has little left to wait for or to throw away. A task is
one item, or a few short ones (about TASK_SECONDS of work): a Dask task has a cost of its own. Between results
the job looks in at `ctx.check()`: a pause stops new submissions and lets those in flight finish (their results
are kept) before the job blocks; a cancel or an interrupt drops what is outstanding and raises.
"""

from __future__ import annotations

import pickle
import sys
import time
import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from progress_app.runtime.executor.item_control import run_controlled

if TYPE_CHECKING:
    from distributed import Future

    from progress_app.runtime.engine.context import JobContext

PER_THREAD = 2
"""Tasks in flight per worker thread of the cluster."""
TASK_SECONDS = 0.25
"""Short items go in groups of about this much work per task: a Dask task costs a few milliseconds of its own."""
POLL_SECONDS = 0.2
"""How often a job waiting for its items looks whether it was paused or cancelled."""


def run_items(fn: Callable[[Any], Any], items: list[Any]) -> list[Any]:
    """A task: some items of a map, one after the other."""
    return [fn(item) for item in items]


class DaskMapper:
    def __init__(self, in_flight: int | None = None, control: str | None = None) -> None:
        self._in_flight = in_flight  # None: PER_THREAD per worker thread of the cluster
        self._control = control  # the job's control Variable: a cancel reaches the items running (item_control.py)

    def run(self, ctx: JobContext, fn: Callable[[Any], Any], todo: list[tuple[int, Any]],
            on_done: Callable[[int, Any], None]) -> None:
        from distributed import get_client, rejoin, secede, wait

        _shippable(fn)
        name = getattr(fn, '__name__', 'item')
        tag = uuid.uuid4().hex[:8]
        running: dict[Future, list[int]] = {}
        client = get_client()
        threads = sum(client.nthreads().values())
        limit = self._in_flight or max(PER_THREAD, PER_THREAD * threads)
        sizes = Sizes(threads, limit)
        position = 0
        secede()  # the items may have this thread's slot while the job waits for them
        try:
            while True:
                while position < len(todo) and len(running) < limit and not ctx.stop_requested:
                    chunk = todo[position:position + sizes.next(len(todo) - position)]
                    position += len(chunk)
                    items = [item for _, item in chunk]
                    key = f'{name}-job{ctx.job_id}-{chunk[0][0]}-{tag}'
                    future = (client.submit(run_items, fn, items, pure=False, key=key) if self._control is None
                              else client.submit(run_controlled, fn, items, self._control, pure=False, key=key))
                    running[future] = [index for index, _ in chunk]
                if not running:
                    if position == len(todo):
                        break
                    ctx.check()  # paused with nothing in flight: blocks here; cancelled: raises
                    continue
                if ctx.cancelled:
                    ctx.check()
                try:
                    finished = wait(list(running), timeout=POLL_SECONDS, return_when='FIRST_COMPLETED').done
                except TimeoutError:
                    continue
                for future in sorted(finished, key=lambda f: running[f][0]):
                    indexes = running.pop(future)
                    results = future.result()  # an item's exception is the job's
                    future.release()
                    sizes.finished(len(indexes))
                    for index, result in zip(indexes, results, strict=True):
                        on_done(index, result)
                if not ctx.stop_requested or ctx.cancelled:  # a pause waits until nothing is in flight
                    ctx.check()
        finally:
            if running:
                client.cancel(list(running))
        # Only a map that ended waits for a slot again: a stopped or failed job ends at once, without waiting for
        # the items that were running (Dask cannot stop a running task; with a control Variable, they stop their
        # child processes and end at their next check, item_control.py).
        rejoin()


class Sizes:
    """How many items the next task takes: one until some have finished, then about TASK_SECONDS of them (from
    the pace so far), but never so many that fewer tasks than fill the slots in flight would be left."""

    def __init__(self, threads: int, limit: int, clock: Callable[[], float] = time.monotonic) -> None:
        self._threads, self._limit, self._clock = max(threads, 1), limit, clock
        self._started = clock()
        self._done = 0

    def finished(self, count: int) -> None:
        self._done += count

    def next(self, remaining: int) -> int:
        if not self._done:
            return 1
        per_item = (self._clock() - self._started) * self._threads / self._done  # thread-seconds, overhead too
        return max(1, min(int(TASK_SECONDS / per_item) if per_item > 0 else remaining, remaining // self._limit))


def _shippable(fn: Callable[[Any], Any]) -> None:
    """Make `fn` picklable for the other workers: a function of a module that cannot be imported by its name
    (a plugin, loaded from its file) goes by value, its code with it."""
    try:
        pickle.dumps(fn)
    except (pickle.PicklingError, AttributeError, TypeError):
        import cloudpickle

        module = sys.modules.get(getattr(fn, '__module__', None) or '')
        if module is not None:
            cloudpickle.register_pickle_by_value(module)
