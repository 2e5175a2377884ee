"""`DaskMapper`: `ctx.map()`'s items as Dask tasks, for a job function that itself runs in a task on a worker.

The job's task leaves the worker's thread pool while it waits (it secedes, and rejoins when the map is done), so
its own thread does not hold a slot the items need. At most about two items per worker thread are in flight: enough
to keep every core busy, few enough that a pause or a cancel has little left to wait for or to throw away. Between
results the job looks in at `ctx.check()`: a pause stops new submissions and lets those in flight finish (their
results are kept) before the job blocks; a cancel or an interrupt drops what is outstanding and raises.
"""

from __future__ import annotations

import pickle
import sys
import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from distributed import Future

    from progress_app.runtime.engine.context import JobContext

PER_THREAD = 2
"""Items in flight per worker thread of the cluster."""
POLL_SECONDS = 0.2
"""How often a job waiting for its items looks whether it was paused or cancelled."""


class DaskMapper:
    def __init__(self, in_flight: int | None = None) -> None:
        self._in_flight = in_flight  # None: PER_THREAD per worker thread of the cluster

    def run(self, ctx: JobContext, fn: Callable[[Any], Any], todo: list[tuple[int, Any]],
            on_done: Callable[[int, Any], None]) -> None:
        from distributed import get_client, rejoin, secede, wait

        _shippable(fn)
        pending = iter(todo)
        name = getattr(fn, '__name__', 'item')
        tag = uuid.uuid4().hex[:8]
        running: dict[Future, int] = {}
        client = get_client()
        limit = self._in_flight or max(PER_THREAD, PER_THREAD * sum(client.nthreads().values()))
        secede()  # the items may have this thread's slot while the job waits for them
        try:
            exhausted = False
            while True:
                while not exhausted and len(running) < limit and not ctx.stop_requested:
                    following = next(pending, None)
                    if following is None:
                        exhausted = True
                        break
                    index, item = following
                    future = client.submit(fn, item, key=f'{name}-job{ctx.job_id}-{index}-{tag}', pure=False)
                    running[future] = index
                if not running:
                    if exhausted:
                        break
                    ctx.check()  # paused with nothing in flight: blocks here; cancelled: raises
                    continue
                if ctx.cancelled:
                    ctx.check()
                try:
                    finished = wait(list(running), timeout=POLL_SECONDS, return_when='FIRST_COMPLETED').done
                except TimeoutError:
                    continue
                for future in sorted(finished, key=running.__getitem__):
                    index = running.pop(future)
                    result = future.result()  # an item's exception is the job's
                    future.release()
                    on_done(index, result)
                if not ctx.stop_requested or ctx.cancelled:  # a pause waits until nothing is in flight
                    ctx.check()
        finally:
            if running:
                client.cancel(list(running))
        # Only a map that ended waits for a slot again: a stopped or failed job ends at once, without waiting for
        # the items that were running on this worker (they run to their end; Dask cannot stop a running task).
        rejoin()


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
