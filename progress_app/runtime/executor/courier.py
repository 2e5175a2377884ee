"""The worker's messages to the app: what a job on a worker reports, batched and sent with Dask's `log_event`.

A job reports as it does in the app, by assigning attributes of its (mirror) Job; a flusher thread sends what
changed every `FLUSH_SECONDS`, in one message: the ordered operations (stage changes, pauses), the log lines, the
progress as it is now, and the checkpoint when it moved. Operations, log lines and checkpoints are never dropped;
progress is sent as its latest value (the app samples it no faster). `flush()` sends at once (a checkpoint the job
wants committed, a pause). The app subscribes to the topic (relay.py); messages carry the run they belong to.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from distributed import Worker

    from progress_app.runtime.engine.job import Job

FLUSH_SECONDS = 0.05


class Courier:
    def __init__(self, worker: Worker, topic: str, run: str, job: Job) -> None:
        self._worker, self._topic, self._run, self._job = worker, topic, run, job
        self.lock = threading.RLock()
        """Held while an operation and the progress it changes are made together (see RemoteLifecycle)."""
        self._ops: list[list[Any]] = []
        self._lines: list[str] = []
        self._sent_state: dict[str, Any] | None = None
        self._sent_checkpoint = job.checkpoint_version
        self._number = 0
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._loop, name=f'courier-{run}', daemon=True)

    def start(self) -> None:
        self._thread.start()

    def op(self, *op: Any) -> None:
        with self.lock:
            self._ops.append(list(op))

    def write(self, text: str) -> None:
        """A log line (JobContext's log: `ctx.log()` and a child process's output)."""
        with self.lock:
            self._lines.append(text)

    def close(self) -> None:
        """The last message: everything left, marked as the end of the run."""
        self._done.set()
        self._thread.join()
        self.flush(end=True)

    def flush(self, end: bool = False) -> None:
        job = self._job
        with self.lock:
            ops, self._ops = self._ops, []
            lines, self._lines = self._lines, []
            state = progress_state(job)
            message: dict[str, Any] = {'run': self._run}
            if ops:
                message['ops'] = ops
            if lines:
                message['log'] = lines
            if state != self._sent_state:
                message['state'] = self._sent_state = state
            version = job.checkpoint_version
            if version != self._sent_checkpoint:
                message['checkpoint'] = job.checkpoint_values()
                self._sent_checkpoint = version
            if end:
                message['end'] = True
            if len(message) == 1:
                return
            self._number += 1
            message['n'] = self._number
            self._worker.log_event(self._topic, message)
        if 'checkpoint' in message:
            job.checkpoint_saved = max(job.checkpoint_saved, version)

    def _loop(self) -> None:
        while not self._done.wait(FLUSH_SECONDS):
            self.flush()


def progress_state(job: Job) -> dict[str, Any]:
    p = job.progress
    return {'current': p.current, 'total': p.total, 'unit': p.unit, 'message': p.message, 'index': p.index,
            'states': [s.value for s in p.stage_states], 'stages': [[s.name, s.weight] for s in p.stages],
            'has_output': job.has_output}
