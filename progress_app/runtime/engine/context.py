"""`JobContext`: what a job function receives as `ctx`.

Reporting is cheap by design: `advance()` is one attribute increment on a plain object (no lock, no I/O), and
`track()` adds a checkpoint per item by bumping a counter. The recorder thread persists checkpoints within a few
tens of milliseconds and the sampler turns counters into speed and ETA, both off the job's thread. Only when the
recorder is behind does `track()` commit a checkpoint itself, so that item N's is committed before item N+2 starts.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from itertools import islice
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from progress_app.config import JobPaths
from progress_app.domain.progress import DEFAULT_STAGE, Stage, StageState
from progress_app.errors import JobCancelled, JobInterrupted
from progress_app.runtime.engine import fanout, process
from progress_app.runtime.engine.job import Job
from progress_app.runtime.files.logfile import JobLog

if TYPE_CHECKING:
    from progress_app.runtime.engine.lifecycle import Lifecycle
    from progress_app.runtime.engine.orphans import Orphans
    from progress_app.runtime.live.heartbeat import LoopHeartbeat

T = TypeVar('T')


class JobContext:
    """The handle a job uses to report progress, log, checkpoint and honour pause/cancel."""

    def __init__(self, job: Job, *, lifecycle: Lifecycle, log: JobLog, output_dir: Path, heartbeat: LoopHeartbeat,
                 orphans: Orphans | None = None, mapper: fanout.Mapper | None = None) -> None:
        self._job = job
        self._mapper = mapper or fanout.SequentialMapper()
        self._map_calls: dict[str | None, int] = {}
        self._orphans = orphans
        self._progress = job.progress
        self._lifecycle = lifecycle
        self._courtesy = heartbeat.courtesy(lambda: job.stop_requested)
        self._log = log
        self._output_dir = output_dir
        self._track_calls: dict[str | None, int] = {}
        self.job_id = job.id
        self.attempt = job.attempts
        """1 on the first run; higher after a retry or a restart."""
        self.resume_state: Any = job.checkpoint_state
        """What the job last passed to `checkpoint()` before it was interrupted, or None on a fresh start."""

    # -- progress -------------------------------------------------------------------------------------------
    def advance(self, n: float = 1) -> None:
        """Add `n` units of work done in the current stage. The hot path: costs well under tqdm.update()."""
        self._progress.current += n

    def set_total(self, total: float | None, unit: str | None = None) -> None:
        """How many units the current stage has (None: unknown), and optionally their unit ('files', 'bytes')."""
        if total is not None and total < 0:
            raise ValueError(f'total must not be negative, not {total}')
        self._progress.total = total
        if unit:
            self._progress.unit = unit

    def set_current(self, current: float) -> None:
        """Set the done units of the current stage directly (for work that reports absolute positions)."""
        self._progress.current = current

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        """Run a block as stage `name`: its counters start at 0 and the message of the stage before is cleared;
        the stage is marked done when the block ends without an error."""
        self._lifecycle.enter_stage(self._job, self._stage_index(name))
        try:
            yield
        except BaseException:
            self._progress.fail_stage()
            raise
        self._lifecycle.finish_stage(self._job)

    def message(self, text: str) -> None:
        """A one-line status shown next to the progress bar ('Resizing IMG_0042.jpg'), until it is set again or
        the job enters another stage."""
        self._progress.message = str(text)[:500]

    def log(self, text: str) -> None:
        """Append to the job's log file (shown live on the job page)."""
        self._log.write(str(text))

    def track(self, iterable: Iterable[T], total: int | None = None, unit: str | None = None) -> Iterator[T]:
        """Yield the items of `iterable`, counting each as done and checkpointing after it.

        After a crash or a restart, the items already done are skipped: the loop goes on at the item that was in
        flight, or at the one before it (an item's checkpoint is committed before the item after next starts).
        Pause and cancel take effect between items.
        """
        job, progress = self._job, self._progress
        if total is None and hasattr(iterable, '__len__'):
            total = len(iterable)  # type: ignore[arg-type]
        self.set_total(total, unit)
        stage = progress.stage
        call = self._track_calls.get(stage, 0)
        self._track_calls[stage] = call + 1
        key = f'{stage}#{call}'
        positions = job.track_positions
        start = positions.get(key, 0)
        progress.current = start
        position = start
        previous = 0  # the checkpoint version after the item before the last one
        for item in islice(iterable, start, None):
            if job.stop_requested:
                self.check()
            yield item
            position += 1
            progress.current = position
            positions[key] = position
            job.checkpoint_version += 1
            # Item N's checkpoint is committed before item N+2 starts: N+1 runs while the recorder writes it behind
            # (25 ms cycles), and only a loop faster than that commits here, one commit for every other item at
            # most (~50 µs alone, shared with other jobs writing at the same moment).
            if job.checkpoint_saved < previous:
                self._lifecycle.save_checkpoint(job)
            previous = job.checkpoint_version
        if job.checkpoint_saved < previous:  # the last item's: what follows the loop is not an item in flight
            self._lifecycle.save_checkpoint(job)
        if job.stop_requested:
            self.check()

    def map(self, fn: Callable[[Any], T], items: Iterable[Any], unit: str | None = None, *,
            sizes: Sequence[float] | None = None, done: Mapping[int, Any] | None = None,
            on_result: Callable[[int, Any], None] | None = None) -> list[T]:
        """`[fn(item) for item in items]`, fanned out over the executor: one by one in this thread with `threads`,
        on every worker's cores with a Dask executor. `fn` must be a module-level function of one plain item
        returning a JSON value (it may run in another process); `progress_app.item_context()` is its handle on the job.

        Each finished item's result is checkpointed (keep results small: the checkpoint holds them all), so a
        restart or a retry never runs a finished item again. Progress counts the items as they finish (or their
        `sizes`, e.g. bytes); pause and cancel take effect between items. `on_result(index, result)` is called in
        this thread as each item finishes, before it counts as done. `done`: for a kind that keeps its own record
        of finished items (written in `on_result`), their results (index -> result); only the other items run,
        and the checkpoint keeps no results of this call.
        """
        stage = self._progress.stage
        call = self._map_calls.get(stage, 0)
        self._map_calls[stage] = call + 1
        return fanout.run_map(self, self._job, self._lifecycle, self._mapper, f'{stage}#{call}', fn, items, unit,
                              sizes=sizes, done=done, on_result=on_result)

    # -- resume and control ---------------------------------------------------------------------------------
    def checkpoint(self, state: Any) -> None:
        """Remember where the job is (any JSON value). It becomes `resume_state` if the job is interrupted.

        Durable within a few tens of milliseconds, without blocking the caller.
        """
        try:
            frozen = json.loads(json.dumps(state))
        except (TypeError, ValueError) as exc:
            raise TypeError(f'checkpoint state must be JSON-serialisable: {exc}') from None
        self._job.checkpoint_state = frozen
        self._job.checkpoint_version += 1

    def check(self) -> None:
        """A pause/cancel point: blocks while the job is paused, raises JobCancelled when it is cancelled.

        Also where jobs take turns while the event loop is starved of the GIL (see heartbeat.py).
        """
        self._courtesy.yield_if_starved()
        if self._job.stop_requested:
            self._lifecycle.honour_requests(self._job)

    @property
    def allowed_dirs(self) -> Sequence[Path] | None:
        """The folders this job may read and write, resolved (None: any folder); its path params are checked
        against them as it starts."""
        return self._lifecycle.allowed_dirs()

    @property
    def cancelled(self) -> bool:
        return self._job.cancel_requested or self._job.interrupt_requested

    @property
    def stop_requested(self) -> bool:
        """A pause, cancel or interrupt was asked for: the job should reach `check()` soon."""
        return self._job.stop_requested

    @property
    def scratch_dir(self) -> Path:
        """A folder for the job's temporary files (created on first use; not part of the download). It survives a
        restart or a retry, so half-done work kept there can be taken up again; removing the job deletes it, and
        the job deletes it itself once it no longer needs it."""
        folder = JobPaths.scratch_beside(self._output_dir)
        folder.mkdir(parents=True, exist_ok=True)
        return folder

    @property
    def distributed(self) -> bool:
        """Whether `map()` spreads items over the workers of a Dask cluster (the `processes` or `tcp://` executor)
        rather than running them one by one in this thread: a job with its own way of running a few items side
        by side here (child processes in threads) maps them there instead."""
        return not isinstance(self._mapper, fanout.SequentialMapper)

    @property
    def output_dir(self) -> Path:
        """A folder for the job's result files (created on first use); its contents become the download."""
        self._output_dir.mkdir(parents=True, exist_ok=True)
        self._job.has_output = True
        return self._output_dir

    def run_process(self, args: str | Sequence[str], *, shell: bool = False, cwd: str | os.PathLike[str] | None = None,
                    env: dict[str, str] | None = None, on_line: Callable[[str, str], None] | None = None,
                    log_output: bool = True) -> int:
        """Run a child process and return its exit code; its output goes to the log and to `on_line(text, stream)`.

        Pause stops the whole process group (SIGSTOP/SIGCONT); cancel terminates it and raises JobCancelled.
        Several threads of the job may each run one at the same time: pause and cancel reach them all.
        """
        self.check()
        job = self._job
        popen = process.spawn(args if shell or isinstance(args, str) else [str(a) for a in args], shell=shell,
                              cwd=None if cwd is None else str(cwd), env=env, orphans=self._orphans, job_id=job.id)
        self._lifecycle.attach_process(job, popen)
        try:
            def handle(line: str, stream: str) -> None:
                if log_output:
                    self._log.write(line)
                if on_line is not None:
                    on_line(line, stream)

            process.pump_lines(popen, handle)
            code = popen.wait()
        finally:
            self._lifecycle.detach_process(job, popen)
        if job.cancel_requested:
            raise JobCancelled()
        if job.interrupt_requested:
            raise JobInterrupted()
        self.check()
        return code

    # -- internals -------------------------------------------------------------------------------------------
    def _stage_index(self, name: str) -> int:
        progress = self._progress
        try:
            return progress.stage_index(name)
        except ValueError:
            if not self._job.options.get('stages_declared'):
                # Stages were not declared: learn them as the job goes. The implicit first stage is replaced.
                if len(progress.stages) == 1 and progress.stages[0].name == DEFAULT_STAGE:
                    progress.stages, progress.stage_states = (Stage(name, 1.0),), [StageState.PENDING]
                else:
                    progress.stages = (*progress.stages, Stage(name, 1.0))
                    progress.stage_states.append(StageState.PENDING)
                return len(progress.stages) - 1
            raise
