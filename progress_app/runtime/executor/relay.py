"""The app's side of jobs on workers: their messages applied to the live jobs, the jobs' requests sent back.

One subscription to the app's topic takes every worker message (`Relay`); its handler runs on the Dask client's
event loop, so it only drops each message in the queue of the run it belongs to. The dispatcher thread that runs
the job waits on that queue (`RemoteRun.follow`) and applies what comes as the job's own thread would have done
it: stage changes through the lifecycle, pauses as status changes, progress and checkpoints onto the live job
(whose recorder commits them), log lines to its log. It also watches the job's pause, cancel and interrupt
requests and puts them in the run's control Variable, which the worker reads (remote.py).
"""

from __future__ import annotations

import contextlib
import queue
import time
from typing import TYPE_CHECKING, Any

from distributed import Future, Variable
from distributed.scheduler import KilledWorker

from progress_app.domain.events import EventType
from progress_app.domain.progress import Stage, StageState
from progress_app.domain.status import Status

if TYPE_CHECKING:
    from distributed import Client

    from progress_app.runtime.engine.context import JobContext
    from progress_app.runtime.engine.job import Job
    from progress_app.runtime.engine.lifecycle import Lifecycle


WAIT_SECONDS = 0.05
"""How often a job's requests are looked at while its messages are awaited."""
END_WAIT_SECONDS = 5.0
"""How long the last messages of a finished task are awaited (they travel apart from its result)."""
FLAGS = ('pause_requested', 'cancel_requested', 'interrupt_requested')


class Relay:
    def __init__(self, client: Client, topic: str) -> None:
        self.topic = topic
        self._runs: dict[str, queue.SimpleQueue[dict[str, Any]]] = {}
        client.subscribe_topic(topic, self._handle)

    def open(self, run: str) -> queue.SimpleQueue[dict[str, Any]]:
        inbox: queue.SimpleQueue[dict[str, Any]] = queue.SimpleQueue()
        self._runs[run] = inbox
        return inbox

    def close(self, run: str) -> None:
        self._runs.pop(run, None)

    def _handle(self, event: tuple[float, Any]) -> None:
        message = event[1]
        inbox = self._runs.get(message.get('run')) if isinstance(message, dict) else None
        if inbox is not None:
            inbox.put(message)


def ended_here(future: Future) -> bool:
    """Whether the task ran to its end on a worker (so its last message is on its way), rather than being
    cancelled or lost with its workers (KilledWorker)."""
    if future.client.status != 'running':
        return False
    if future.status == 'finished':
        return True
    return future.status == 'error' and not isinstance(future.exception(), KilledWorker)


def flags(job: Job) -> dict[str, bool]:
    return {name: getattr(job, name) for name in FLAGS}


def job_row(job: Job) -> dict[str, Any]:
    """The job as a stored row (recovery.job_from_row builds the worker's mirror from it)."""
    return {'id': job.id, 'name': job.name, 'kind': job.kind, 'status': job.status.value, 'priority': job.priority,
            'params': job.params, 'created_at': job.created_at, 'options': job.options, 'attempts': job.attempts,
            'started_at': job.started_at, **job.progress_values()}


class RemoteRun:
    """One run of a job on the cluster, followed from the dispatcher thread that runs the job."""

    def __init__(self, job: Job, ctx: JobContext, lifecycle: Lifecycle, inbox: queue.SimpleQueue[dict[str, Any]],
                 resume: Variable, control: Variable) -> None:
        self._job, self._ctx, self._lifecycle, self._inbox = job, ctx, lifecycle, inbox
        self._resume, self._control = resume, control
        self._sent = flags(job)
        self._worker: str | None = None
        self.ended = False

    def follow(self, future: Future) -> None:
        """Apply the run's messages until its task is done and its last message has come (or stopped coming)."""
        done_at: float | None = None
        while True:
            with contextlib.suppress(queue.Empty):
                self.apply(self._inbox.get(timeout=WAIT_SECONDS))
                while True:  # what else has come
                    self.apply(self._inbox.get_nowait())
            self._send_requests()
            if future.done() or future.client.status != 'running':  # done, or the executor stopped under it
                done_at = done_at or time.monotonic()
                if self.ended or time.monotonic() - done_at > END_WAIT_SECONDS or not ended_here(future):
                    return

    def _send_requests(self) -> None:
        now = flags(self._job)
        if now != self._sent:
            self._control.set(now)
            self._sent = now

    def apply(self, message: dict[str, Any]) -> None:
        job = self._job
        for op, *args in message.get('ops', ()):
            if op == 'start':
                self._started(args[0])
            elif op == 'stage':
                self._stage(*args)
            elif op == 'paused':
                with job.lock:
                    if job.status is Status.RUNNING and job.pause_requested and not (job.cancel_requested
                                                                                 or job.interrupt_requested):
                        self._lifecycle.move(job, Status.PAUSED, EventType.PAUSED)
        for line in message.get('log', ()):
            self._ctx.log(line)
        if 'state' in message:
            self._progress(message['state'])
        if 'checkpoint' in message:
            self._checkpoint(message['checkpoint'])
        if message.get('end'):
            self.ended = True

    def _started(self, where: dict[str, Any]) -> None:
        job, before = self._job, self._worker
        self._worker = where['worker']
        if before is None:
            self._ctx.log(f"[progress-app] runs on worker {where['worker']} ({where['host']}, pid {where['pid']})")
            return
        text = f"worker {before} was lost; the job goes on from its last checkpoint on worker {where['worker']}"
        self._ctx.log(f'[progress-app] {text}')
        event = self._lifecycle.event(job, EventType.MESSAGE, message=text, worker=where['worker'],
                                      lost=before, progress=job.percent)
        with job.lock:
            job.unsaved_events.append(event)
        self._lifecycle.bus.publish_state(job, event)

    def _stage(self, state: str, index: int, stages: list[list[Any]]) -> None:
        job = self._job
        self._learn_stages(stages)
        if state == 'started':
            self._lifecycle.enter_stage(job, index)
        elif job.progress.index == index:
            self._lifecycle.finish_stage(job)

    def _learn_stages(self, stages: list[list[Any]]) -> None:
        progress = self._job.progress
        if [[s.name, s.weight] for s in progress.stages] != stages:  # stages the job named as it went
            progress.stages = tuple(Stage(name, weight) for name, weight in stages)
            progress.stage_states = (progress.stage_states + [StageState.PENDING] * len(stages))[:len(stages)]

    def _progress(self, state: dict[str, Any]) -> None:
        job = self._job
        progress = job.progress
        self._learn_stages(state['stages'])
        progress.stage_states = [StageState(s) for s in state['states']]
        progress.index = state['index']
        progress.total, progress.unit, progress.message = state['total'], state['unit'], state['message']
        progress.current = state['current']
        job.has_output = job.has_output or state['has_output']

    def _checkpoint(self, values: dict[str, Any] | None) -> None:
        job = self._job
        values = values or {}
        job.checkpoint_state = values.get('state')
        job.track_positions = dict(values.get('track') or {})
        if hasattr(job, 'map_results'):
            job.map_results = {key: dict(results) for key, results in (values.get('maps') or {}).items()}
        job.checkpoint_version += 1  # the recorder commits it
        self._resume.set(job_row(job))  # where a task started again after its worker died goes on from
