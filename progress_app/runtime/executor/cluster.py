"""The Dask executor: each job's function runs as one Dask task on a worker, followed from the app.

`processes` starts a LocalCluster of worker processes on this machine (one per core unless told) and stops it
with the app; each worker process also exits, taking its jobs' child processes with it (their reaper, see
orphans.py), when the app dies, even by SIGKILL (Dask's nanny pipe: a worker exits when its parent's end closes).
`tcp://HOST:PORT` connects to an existing scheduler; its workers need this package installed (the plugins are
shipped to them, see shipping.py).

A task that dies with its worker is run again by the scheduler on another worker (up to Dask's
`allowed-failures`); it starts from the job's latest checkpoint, which the app keeps in the run's `resume` Variable.
"""

from __future__ import annotations

import contextlib
import importlib.util
import logging
import os
import threading
import time
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Any

from distributed import Client, LocalCluster, Variable

from progress_app.config import JobPaths
from progress_app.errors import ConfigError
from progress_app.runtime.executor import remote
from progress_app.runtime.executor.relay import Relay, RemoteRun, flags, job_row
from progress_app.runtime.executor.shipping import ShippedPlugins

if TYPE_CHECKING:
    from progress_app.kinds.registry import JobKind
    from progress_app.runtime.engine.context import JobContext
    from progress_app.runtime.engine.job import Job
    from progress_app.runtime.engine.lifecycle import Lifecycle

log = logging.getLogger(__name__)

CONNECT_SECONDS = 10
DESCRIBE_SECONDS = 2.0  # the worker count shown is at most this old
WAITING = 'waiting for a free Dask worker'


def cores() -> int:
    """The cores this process may use (a container or `taskset` may allow fewer than the machine has)."""
    return len(os.sched_getaffinity(0)) if hasattr(os, 'sched_getaffinity') else os.cpu_count() or 1


class DaskExecutor:
    def __init__(self, spec: str, workers: int | None, *, data_dir: Path, plugins_dir: Path,
                 lifecycle: Lifecycle, key: str) -> None:
        self.name = spec
        self._workers = workers
        self._data_dir, self._plugins_dir = data_dir, plugins_dir
        self._paths = JobPaths.under(data_dir)
        self._lifecycle, self._key = lifecycle, key
        self._cluster: LocalCluster | None = None
        self._client: Client | None = None
        self._relay: Relay | None = None
        self._lock = threading.Lock()
        self._described: tuple[float, dict[str, Any]] | None = None

    def start(self) -> None:
        with self._lock:
            if self._client is not None:
                return
            if self.name == 'processes':
                self._cluster = LocalCluster(n_workers=self._workers or cores(), threads_per_worker=1,
                                             processes=True, host='127.0.0.1', dashboard_address='127.0.0.1:0',
                                             memory_limit=0, silence_logs=logging.WARNING)
                client = Client(self._cluster, set_as_default=False)
            else:
                try:
                    client = Client(self.name, timeout=CONNECT_SECONDS, set_as_default=False)
                except (OSError, TimeoutError) as exc:
                    raise ConfigError(f'cannot reach the Dask scheduler at {self.name}: {exc}') from None
            self._plugins_dir.mkdir(parents=True, exist_ok=True)
            client.register_plugin(ShippedPlugins(self._plugins_dir), name=ShippedPlugins.name)
            self._relay = Relay(client, f'progress-app-{self._key}-{uuid.uuid4().hex[:8]}')
            self._client = client
        log.info('job functions run on the Dask cluster at %s', client.scheduler.address)

    def stop(self) -> None:
        with self._lock:
            client, cluster = self._client, self._cluster
            self._client = self._cluster = self._relay = None
        if client is not None:
            client.close()
        if cluster is not None:
            cluster.close()

    def describe(self) -> dict[str, Any]:
        client = self._client
        if client is None:
            return {'executor': self.name, 'workers': 0, 'address': None, 'dashboard': None}
        described = self._described
        if described is None or time.monotonic() - described[0] > DESCRIBE_SECONDS:
            workers = len(client.nthreads())
            dashboard = client.dashboard_link if importlib.util.find_spec('bokeh') else None  # Dask's web pages
            described = time.monotonic(), {'executor': self.name, 'workers': workers,
                                           'address': client.scheduler.address, 'dashboard': dashboard}
            self._described = described
        return dict(described[1])

    def call(self, job: Job, ctx: JobContext, kind: JobKind, params: dict[str, Any]) -> Any:
        client, relay = self._client, self._relay
        if client is None or relay is None:
            raise ConfigError('the Dask executor is not started')
        run = f'{job.id}-{uuid.uuid4().hex[:12]}'
        resume = Variable(f'progress-app-{run}-resume', client=client)
        control = Variable(f'progress-app-{run}-control', client=client)
        resume.set(job_row(job))
        control.set(flags(job))
        job.progress.message = WAITING  # until the worker's first message: every worker thread may be busy
        allowed = ctx.allowed_dirs
        payload = {'run': run, 'topic': relay.topic, 'kind': kind.name, 'params': params,
                   'resume': resume.name, 'control': control.name, 'key': self._key,
                   'output_dir': str(self._paths.output_dir(job.id).resolve()),
                   'run_dir': str((self._data_dir / 'run').resolve()),
                   'allowed_dirs': None if allowed is None else [str(d) for d in allowed]}
        follower = RemoteRun(job, ctx, self._lifecycle, relay.open(run), resume, control)
        future = client.submit(remote.run_job, payload, key=f'progress-app-job-{run}', pure=False)
        try:
            follower.follow(future)
            return remote.stopped(future.result())
        finally:
            relay.close(run)
            with contextlib.suppress(Exception):  # the cluster may be gone (the app stops, the scheduler died)
                if not future.done():
                    future.cancel()
                future.release()
                resume.delete()
                control.delete()
