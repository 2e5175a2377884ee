"""A cancel reaches the `ctx.map` items already running as Dask tasks, and their child processes.

Dask cannot stop a running task, so a cancelled job's items used to run to their end: a minute of a video
segment's ffmpeg on every worker. Now each task of a job's map watches the job's control Variable (the one the
worker running the job function reads, remote.py) from a thread of its own, and its task state: when the job is
cancelled or interrupted, or the job dropped the task (its state is no longer 'executing'), the item's child
processes are terminated and its next `item_context().check()` raises JobCancelled; the task then ends with no
results (the job has dropped it already).

A pause does not stop items in flight: the job starts no new ones and waits for those to finish (mapping.py).
"""

from __future__ import annotations

import subprocess
import threading
from collections.abc import Callable
from typing import Any

from progress_app.errors import JobCancelled, JobStopped
from progress_app.runtime.engine import fanout, process
from progress_app.runtime.engine.fanout import DetachedContext

CONTROL_SECONDS = 0.1
"""How often an item's task reads its job's requests."""
GONE_STATES = ('cancelled', 'released', 'forgotten')


def run_controlled(fn: Callable[[Any], Any], items: list[Any], control: str) -> list[Any]:
    """A task: `fn` over `items`, stopped when the job is cancelled (see the module)."""
    from distributed import Variable, get_client, get_worker

    worker = get_worker()
    key = worker.get_current_task()
    requests = Variable(control, client=get_client())

    def wanted() -> bool:
        task = worker.state.tasks.get(key)
        if task is None or task.state in GONE_STATES:
            return False
        try:
            flags = requests.get(timeout=1)
        except Exception:  # the job's run ended and took its Variable with it, or the scheduler is away
            return task.state in ('executing', 'long-running')
        return not (flags.get('cancel_requested') or flags.get('interrupt_requested'))

    ctx = ControlledItem(wanted)
    try:
        with ctx, fanout.running_as(ctx):
            return [fn(item) for item in items]
    except JobStopped:
        return []


class ControlledItem(DetachedContext):
    """`item_context()` in a controlled task: a DetachedContext whose check and child processes obey a cancel."""

    def __init__(self, wanted: Callable[[], bool]) -> None:
        self._wanted = wanted
        self._lock = threading.Lock()
        self._processes: list[subprocess.Popen[bytes]] = []
        self._stopped = threading.Event()
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._watch, name='map item control', daemon=True)

    def __enter__(self) -> ControlledItem:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._done.set()
        self._thread.join()

    @property
    def cancelled(self) -> bool:  # type: ignore[override]
        return self._stopped.is_set()

    @property
    def stop_requested(self) -> bool:  # type: ignore[override]
        return self._stopped.is_set()

    def check(self) -> None:
        if self._stopped.is_set():
            raise JobCancelled()

    def _started(self, popen: subprocess.Popen[bytes]) -> None:
        with self._lock:
            self._processes.append(popen)
            if self._stopped.is_set():  # cancelled while it started
                process.terminate_group(popen)

    def _ended(self, popen: subprocess.Popen[bytes]) -> None:
        with self._lock:
            self._processes.remove(popen)

    def _watch(self) -> None:
        while not self._done.wait(CONTROL_SECONDS):
            if self._wanted():
                continue
            with self._lock:
                self._stopped.set()
                process.terminate_groups(list(self._processes))
            return
