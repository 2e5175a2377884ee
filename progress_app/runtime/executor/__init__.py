"""Where job functions run: in the app's threads, or on a Dask cluster (local processes, or an existing scheduler).

    threads.py   ThreadsExecutor: the function runs in the job's own thread (the default)
    cluster.py   DaskExecutor: starts a LocalCluster or connects to a scheduler; runs each job as one Dask task
    relay.py     the app's side of a job on a worker: its messages applied to the live Job, pause/cancel sent back
    remote.py    the worker's side: the same JobContext over a mirror of the job, pause/cancel read from the app
    courier.py   the worker's messages to the app (log_event, batched every few tens of milliseconds)
    shipping.py  the plugins folder, shipped to every worker
    mapping.py   DaskMapper: `ctx.map` items as Dask tasks

Dask is imported only when a Dask executor is asked for: it is an optional extra.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from progress_app.runtime.executor.threads import ThreadsExecutor

if TYPE_CHECKING:
    from progress_app.kinds.registry import JobKind
    from progress_app.runtime.engine.context import JobContext
    from progress_app.runtime.engine.job import Job
    from progress_app.runtime.engine.lifecycle import Lifecycle

__all__ = ['Executor', 'ThreadsExecutor', 'make_executor']


class Executor(Protocol):
    name: str
    """'threads', 'processes' or the scheduler's address 'tcp://host:port'."""

    def start(self) -> None:
        """Get ready to run jobs; raises ConfigError (one line) when it cannot."""

    def stop(self) -> None:
        """Let go of the cluster; no worker process this executor started outlives it."""

    def describe(self) -> dict[str, Any]:
        """{'executor': name, 'workers': n, 'address': str | None, 'dashboard': url | None}"""

    def call(self, job: Job, ctx: JobContext, kind: JobKind, params: dict[str, Any]) -> Any:
        """Run the job's function to its end and return what it returned (or raise what it raised)."""


def make_executor(spec: str, workers: int | None, *, data_dir: Path, plugins_dir: Path,
                  lifecycle: Lifecycle | None = None, key: str = '') -> Executor:
    """The executor `spec` names (a checked `Settings.executor`). A Dask one needs the engine's `lifecycle`, which
    it applies the workers' stage changes and pauses through, and its `key` (marks the jobs' child processes)."""
    if spec == 'threads':
        return ThreadsExecutor()
    from progress_app.runtime.executor.cluster import DaskExecutor

    if lifecycle is None:
        raise ValueError('a Dask executor needs the engine lifecycle')
    return DaskExecutor(spec, workers, data_dir=data_dir, plugins_dir=plugins_dir, lifecycle=lifecycle, key=key)
