"""`ctx.map()`: a job's items fanned out over a mapper, each finished item's result kept in the job's checkpoint.

The bookkeeping is here and the same for every mapper: which items are still to do (a restart or a retry never
redoes one whose result was checkpointed), the progress (items, or their sizes, as they finish) and the results
in order. A `Mapper` only runs the items: `SequentialMapper` one by one in the job's thread (the threads
executor), `DaskMapper` (runtime/executor/mapping.py) as Dask tasks on the cluster's workers.

A mapped function takes one plain item and returns a JSON value; it may run in another process or on another
machine, so it must be a module-level function. `item_context()` is its handle on the job while it runs: the
job's own context when it runs in the job's thread, a `DetachedContext` elsewhere (there the job counts the item
when its result comes back).
"""

from __future__ import annotations

import contextlib
import json
import logging
import subprocess
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Protocol

from progress_app.runtime.engine import process

if TYPE_CHECKING:
    from progress_app.runtime.engine.context import JobContext
    from progress_app.runtime.engine.job import Job
    from progress_app.runtime.engine.lifecycle import Lifecycle

logger = logging.getLogger(__name__)


class Mapper(Protocol):
    def run(self, ctx: JobContext, fn: Callable[[Any], Any], todo: list[tuple[int, Any]],
            on_done: Callable[[int, Any], None]) -> None:
        """Run `fn(item)` for each `(index, item)` of `todo`, calling `on_done(index, result)` in the calling
        thread as each finishes (in any order), and `ctx.check()` between results: a pause stops new items (the
        ones in flight finish), a cancel drops what is outstanding and raises. An item's exception propagates."""


_running = threading.local()


def item_context() -> JobContext | DetachedContext:
    """The context of the job whose mapped function runs in this thread, or a stand-in away from the job."""
    return getattr(_running, 'ctx', None) or DetachedContext()


@contextlib.contextmanager
def running_as(ctx: Any) -> Iterator[None]:
    """Make `ctx` what `item_context()` gives the mapped functions this thread runs, for the block."""
    outer = getattr(_running, 'ctx', None)
    _running.ctx = ctx
    try:
        yield
    finally:
        _running.ctx = outer


class SequentialMapper:
    """One item after the other, in the job's own thread; pause and cancel act between items (and inside an
    item at its own `item_context().check()` calls)."""

    def run(self, ctx: JobContext, fn: Callable[[Any], Any], todo: list[tuple[int, Any]],
            on_done: Callable[[int, Any], None]) -> None:
        with running_as(ctx):
            for index, item in todo:
                ctx.check()
                on_done(index, fn(item))


class DetachedContext:
    """What a mapped function's `item_context()` is away from its job (a Dask task on some worker): progress,
    messages and checks are dropped (the job counts the item when its result comes back), log lines go to the
    worker's log, and a child process runs to its end."""

    cancelled = False
    stop_requested = False

    def advance(self, n: float = 1) -> None:
        pass

    def set_total(self, total: float | None, unit: str | None = None) -> None:
        pass

    def set_current(self, current: float) -> None:
        pass

    def message(self, text: str) -> None:
        pass

    def check(self) -> None:
        pass

    def log(self, text: str) -> None:
        logger.info('%s', text)

    def run_process(self, args: str | Sequence[str], *, shell: bool = False, cwd: Any = None,
                    env: dict[str, str] | None = None, on_line: Callable[[str, str], None] | None = None,
                    log_output: bool = True) -> int:
        self.check()
        popen = process.spawn(args if shell or isinstance(args, str) else [str(a) for a in args], shell=shell,
                              cwd=None if cwd is None else str(cwd), env=env, orphans=None, job_id=0)
        self._started(popen)
        try:
            def handle(line: str, stream: str) -> None:
                if log_output:
                    self.log(line)
                if on_line is not None:
                    on_line(line, stream)

            process.pump_lines(popen, handle)
            code = popen.wait()
        finally:
            self._ended(popen)
        self.check()
        return code

    def _started(self, popen: subprocess.Popen[bytes]) -> None:
        """A child process began (for a context that controls them)."""

    def _ended(self, popen: subprocess.Popen[bytes]) -> None:
        """A child process ended."""


def frozen(value: Any) -> Any:
    """`value` as its JSON round trip (what a restart reads back); a TypeError when it is not a JSON value."""
    try:
        return json.loads(json.dumps(value))
    except (TypeError, ValueError) as exc:
        raise TypeError(f'ctx.map results must be JSON-serialisable: {exc}') from None


def run_map(ctx: JobContext, job: Job, lifecycle: Lifecycle, mapper: Mapper, key: str, fn: Callable[[Any], Any],
            items: Iterable[Any], unit: str | None, *, sizes: Sequence[float] | None = None,
            done: Mapping[int, Any] | None = None, on_result: Callable[[int, Any], None] | None = None) -> list[Any]:
    """`ctx.map()`'s bookkeeping around `mapper.run()` (see JobContext.map)."""
    items = list(items)
    count = len(items)
    weights = [1] * count if sizes is None else list(sizes)
    if len(weights) != count:
        raise ValueError(f'ctx.map got {len(weights)} sizes for {count} items')
    kept = done is None  # else the kind keeps its own record of finished items (written by on_result)
    if kept:
        results = job.map_results.setdefault(key, {})
    else:
        results = {str(index): frozen(result) for index, result in done.items() if 0 <= index < count}
        if job.map_results.pop(key, None) is not None:
            job.checkpoint_version += 1
    progress = job.progress
    ctx.set_total(sum(weights) if sizes is not None else count, unit)
    finished = sum(weights[i] for i in range(count) if str(i) in results)
    progress.current = finished
    todo = [(i, item) for i, item in enumerate(items) if str(i) not in results]
    previous = 0  # the checkpoint version after the item finished before the last one

    def on_done(index: int, result: Any) -> None:
        nonlocal finished, previous
        value = frozen(result)
        if on_result is not None:  # e.g. the kind's own journal: written before the item counts as done
            on_result(index, value)
        results[str(index)] = value
        finished += weights[index]
        progress.current = finished
        if kept:
            job.checkpoint_version += 1
            # As in ctx.track(): item N's result is committed before the item after next is counted.
            if job.checkpoint_saved < previous:
                lifecycle.save_checkpoint(job)
            previous = job.checkpoint_version

    if todo:
        mapper.run(ctx, fn, todo, on_done)
    if job.checkpoint_saved < previous:
        lifecycle.save_checkpoint(job)
    if job.stop_requested:
        ctx.check()
    return [results[str(i)] for i in range(count)]
