"""The worker's side of a job: `run_job` is the Dask task that runs a job's function on a worker.

The function gets the same `JobContext` as in the app, over a mirror `Job` built from the job as the app last
recorded it (its resume point included: a task that starts again on another worker, after the first died, goes
on from the latest checkpoint). Its lifecycle is `RemoteLifecycle`, which sends stage changes, pauses and
checkpoints to the app through the courier instead of writing them. A control thread reads the app's pause,
cancel and interrupt requests (a Dask Variable) into the mirror's flags, so `ctx.check()` stays an attribute read,
and pauses or ends the job's child process at once, as the app does for its own. It also notices the app is gone
(its client left: the scheduler released the task), and then cancels the job and its child process here.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import tempfile
import threading
from pathlib import Path
from typing import Any

from distributed import Variable, get_client, get_worker

from progress_app.domain.events import EventType
from progress_app.domain.status import Status
from progress_app.errors import JobCancelled, JobInterrupted, JobStopped
from progress_app.kinds import builtin
from progress_app.kinds.registry import registry
from progress_app.runtime.engine import process
from progress_app.runtime.engine.context import JobContext
from progress_app.runtime.engine.job import Job
from progress_app.runtime.engine.lifecycle import Lifecycle
from progress_app.runtime.engine.orphans import Orphans
from progress_app.runtime.engine.recovery import job_from_row
from progress_app.runtime.executor.courier import Courier
from progress_app.runtime.executor.mapping import DaskMapper
from progress_app.runtime.live.heartbeat import LoopHeartbeat

log = logging.getLogger(__name__)

CONTROL_SECONDS = 0.1
"""How often the worker reads the app's requests (a pause or cancel reaches the job within about this)."""
APP_GONE_SECONDS = 30.0
"""The scheduler has not answered for this long: the app's requests cannot reach the job; it is cancelled."""
GONE_STATES = ('cancelled', 'released', 'forgotten')


def run_job(payload: dict[str, Any]) -> dict[str, Any]:
    """Run the job `payload` describes (see DaskExecutor.call); returns {'result': value} or {'stopped': how}."""
    worker, client = get_worker(), get_client()
    key = worker.get_current_task()
    builtin.register()
    kind = registry.get(payload['kind'])
    job = job_from_row(Variable(payload['resume'], client=client).get())
    job.status = Status.RUNNING
    courier = Courier(worker, payload['topic'], payload['run'], job)
    courier.op('start', {'worker': worker.address, 'host': socket.gethostname(), 'pid': os.getpid()})
    courier.start()
    dirs = payload['allowed_dirs']
    lifecycle = RemoteLifecycle(courier, None if dirs is None else [Path(d) for d in dirs])
    control = Control(Variable(payload['control'], client=client), job, lifecycle, lambda: _task_state(worker, key))
    control.start()
    orphans = _orphans(Path(payload['run_dir']), payload['key'])
    ctx = JobContext(job, lifecycle=lifecycle, log=courier, output_dir=Path(payload['output_dir']),  # type: ignore[arg-type]
                     heartbeat=LoopHeartbeat(), orphans=orphans, mapper=DaskMapper(control=payload['control']))
    try:
        return {'result': kind.call(ctx, payload['params'])}
    except JobStopped as stop:  # a BaseException: Dask would not hand it back as the task's error
        return {'stopped': 'cancelled' if isinstance(stop, JobCancelled) else 'interrupted'}
    finally:
        control.stop()
        courier.close()


def stopped(outcome: dict[str, Any]) -> Any:
    """What `run_job` returned, as the app's runner expects it: the result, or JobCancelled/JobInterrupted raised."""
    if 'stopped' in outcome:
        raise JobCancelled() if outcome['stopped'] == 'cancelled' else JobInterrupted()
    return outcome['result']


def _task_state(worker: Any, key: str) -> str:
    task = worker.state.tasks.get(key)
    return 'forgotten' if task is None else task.state


def _orphans(run_dir: Path, key: str) -> Orphans:
    """The job's child processes are reaped when this worker process dies, like the app's own (orphans.py); their
    records go to the app's data folder when the worker can write there (its next start sweeps them too)."""
    try:
        run_dir.mkdir(parents=True, exist_ok=True)
        if not os.access(run_dir, os.W_OK):
            raise PermissionError(run_dir)
    except OSError:
        run_dir = Path(tempfile.gettempdir()) / f'progress-app-run-{os.getuid()}'
    return Orphans(run_dir, key)


class RemoteLifecycle(Lifecycle):
    """The lifecycle of the mirror job: stage changes as in the app, but told to the app rather than stored;
    pauses told to the app (which moves the real job to paused) and waited out here, as in the app."""

    def __init__(self, courier: Courier, allowed_dirs: list[Path] | None) -> None:
        super().__init__(None, None, 1, allowed_dirs=lambda: allowed_dirs)  # type: ignore[arg-type]
        self._courier = courier

    def enter_stage(self, job: Job, index: int) -> None:
        with self._courier.lock:  # the operation and the progress it resets go in the same message
            super().enter_stage(job, index)

    def finish_stage(self, job: Job) -> None:
        with self._courier.lock:
            super().finish_stage(job)

    def _stage_event(self, job: Job, state: str) -> None:
        self._courier.op('stage', state, job.progress.index, [[s.name, s.weight] for s in job.progress.stages])

    def save_checkpoint(self, job: Job) -> None:
        self._courier.flush()

    def move(self, job: Job, target: Status, event_type: EventType, **_: Any) -> None:  # type: ignore[override]
        """The app moves the real job. The only move made here, in the job's thread or its control thread, is
        a pause taking effect (at a check point, or of a child process): it is told to the app at once."""
        if target is Status.PAUSED and job.status is Status.RUNNING:
            job.status = Status.PAUSED
            self._courier.op('paused')
            self._courier.flush()


class Control:
    """Reads the app's requests for one job into its mirror, as the app's service sets them on its own jobs."""

    def __init__(self, requests: Variable, job: Job, lifecycle: RemoteLifecycle, task_state: Any) -> None:
        self._requests, self._job, self._lifecycle, self._task_state = requests, job, lifecycle, task_state
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._loop, name=f'control-{job.id}', daemon=True)
        self._flags: dict[str, bool] = {}

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._done.set()
        self._thread.join()

    def _loop(self) -> None:
        unanswered = 0.0
        while not self._done.wait(CONTROL_SECONDS):
            flags = dict(self._flags)
            try:
                flags.update(self._requests.get(timeout=5))
                unanswered = 0.0
            except Exception as exc:  # the scheduler is unreachable or restarting: wait for it, up to a point
                unanswered += CONTROL_SECONDS
                if unanswered >= APP_GONE_SECONDS:
                    log.warning('job %s: the scheduler has not answered for %.0f s (%s); cancelled',
                                self._job.id, unanswered, exc)
                    flags['cancel_requested'] = True
            if self._task_state() in GONE_STATES:  # the app that wanted it is gone (or cancelled the task)
                flags['cancel_requested'] = True
            if flags != self._flags:
                self._apply(flags)

    def _apply(self, flags: dict[str, bool]) -> None:
        job, before = self._job, self._flags
        self._flags = flags
        with job.lock:
            job.request_stop(**flags)
            if not job.pause_requested:
                job.status = Status.RUNNING  # resumed (the app has moved the real job already)
            running = job.processes
            if not running:
                return
            if job.cancel_requested or job.interrupt_requested:
                process.terminate_groups(running)
            elif job.pause_requested and not before.get('pause_requested'):
                process.signal_groups(running, signal.SIGSTOP)
                self._lifecycle.move(job, Status.PAUSED, EventType.PAUSED)
            elif not job.pause_requested and before.get('pause_requested'):
                process.signal_groups(running, signal.SIGCONT)


