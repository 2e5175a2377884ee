"""`Run`: a script's run as a job in the app (a context manager), and `track`, a loop over an iterable as one.

    from progress_app.client import Run, track

    for path in track(paths, name='thumbnails'):
        make_thumbnail(path)

    with Run('backup', total=len(files), stages=['copy', 'verify'], resume_key='nightly') as run:
        done = run.resume_state or 0            # where the last attempt got to (its last checkpoint)
        run.stage('copy')
        for i, f in enumerate(files[done:], done):
            copy(f)
            run.advance()
            run.checkpoint(i + 1)

The script never waits for the app: `advance` only stores a number, a background thread sends. A pause asked in
the app blocks the script in its next `advance`/`check` until it is resumed; a cancel raises `Cancelled` there.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any, TypeVar

from progress_app.client.channel import Channel, script_name
from progress_app.client.sender import sender

T = TypeVar('T')
RESUME_WAIT_SECONDS = 5.0
"""How long entering a Run with a resume_key waits for the app's answer (its resume_state); the app being down is
known sooner."""


def _as_json(value: Any, what: str) -> Any:
    """A copy of `value` as JSON would carry it (so the script may go on changing the original); a value JSON
    cannot carry fails here, in the script's own call, not later in the sender."""
    try:
        return json.loads(json.dumps(value, allow_nan=False))
    except (TypeError, ValueError) as exc:
        raise TypeError(f'{what} must be JSON (dicts, lists, str, numbers, bool, None): {exc}') from None


class Run:
    """One run of the script as an external job in the app. Leaving the block normally completes it; an exception
    fails it (with the traceback); Cancelled (a cancel in the app) or Ctrl-C cancels it."""

    def __init__(self, name: str | None = None, total: float | None = None,
                 stages: Sequence[str] | Mapping[str, float] | None = None, resume_key: str | None = None,
                 unit: str | None = None, url: str | None = None, token: str | None = None, *,
                 command: str | None = None) -> None:
        """`command`: what runs, as the app shows it (default: this script's command line)."""
        self.name = name or script_name()
        self.total = total
        self.unit = unit
        self.current: float = 0
        self._stages = list(stages) if stages is not None else None
        self._stage: str | None = None
        self._message: str | None = None
        self._result: Any = None
        self._resume_key = resume_key
        self._start = {'name': self.name, 'total': total, 'unit': unit,
                       'stages': dict(stages) if isinstance(stages, Mapping) else self._stages,
                       'resume_key': resume_key, 'command': command}
        self._where = (url, token)
        self._channel: Channel | None = None

    def __enter__(self) -> Run:
        self._channel = sender().open(self._start, self._progress, *self._where)
        if self._resume_key is not None:
            self._channel.tried.wait(RESUME_WAIT_SECONDS)
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, tb: Any) -> None:
        self._open().end(error, self._result)

    @property
    def job_id(self) -> int | None:
        """The job's id in the app (None until the app has answered)."""
        return self._open().job_id

    @property
    def resume_state(self) -> Any:
        """The last checkpoint an earlier attempt of the same resume_key sent (None: start from the beginning)."""
        job = self._open().job
        return None if job is None else (job.get('external') or {}).get('resume_state')

    @property
    def attempt(self) -> int:
        """Which attempt of its resume_key this run is (1 for a fresh one, or while the app is unreachable)."""
        job = self._open().job
        return 1 if job is None else int(job.get('attempts') or 1)

    def advance(self, n: float = 1) -> None:
        self.current += n
        if self._channel.halt:  # type: ignore[union-attr]
            self._channel.obey()  # type: ignore[union-attr]

    def set_total(self, total: float | None, unit: str | None = None) -> None:
        """How many units the run (or its current stage) has, and optionally their unit ('files', 'bytes')."""
        self.total = total
        if unit is not None:
            self.unit = unit

    def set_current(self, current: float) -> None:
        """Set the position directly (for work that knows absolute positions)."""
        self.current = current

    def stage(self, name: str) -> None:
        """Enter stage `name` (the earlier ones are done); `current` counts within it from 0, and the message of
        the stage before is cleared."""
        if self._stages is not None and name not in self._stages:
            raise ValueError(f'{name!r} is not one of the declared stages {self._stages}')
        self._stage, self.current, self._message = name, 0, None
        self.check()

    def message(self, text: str) -> None:
        """What the script is doing now (the job's "Now" line)."""
        self._message = str(text)

    def log(self, text: str) -> None:
        """Append a line to the job's log."""
        self._open().outbox.log(str(text))

    def checkpoint(self, state: Any) -> None:
        """Where to go on from if this run dies: `resume_state` of the next run with the same resume_key."""
        self._open().outbox.checkpoint(_as_json(state, 'a checkpoint'))

    def result(self, value: Any) -> None:
        """The run's result, stored with the job when it completes."""
        self._result = _as_json(value, 'a result')

    @property
    def control(self) -> str:
        """What the app wants now: 'run', 'pause' or 'cancel' (for a script that obeys in its own way, e.g. by
        stopping a child process, instead of blocking in `check`)."""
        return self._open().control

    def report_paused(self) -> None:
        """Tell the app the work has stopped for the pause it asked for (what `check` does before it blocks)."""
        channel = self._open()
        channel.outbox.paused = True
        channel.wake()

    def check(self) -> None:
        """Obey the app: block while it asks for a pause, raise Cancelled if it cancelled the run."""
        channel = self._open()
        if channel.halt:
            channel.obey()

    def _open(self) -> Channel:
        if self._channel is None:
            raise RuntimeError('use the Run as a context manager: with Run(...) as run:')
        return self._channel

    def _progress(self) -> dict[str, Any]:
        fields = {'current': self.current, 'total': self.total, 'unit': self.unit, 'stage': self._stage,
                  'message': self._message}
        return {k: v for k, v in fields.items() if v is not None}


def track(iterable: Iterable[T], name: str | None = None, total: float | None = None,
          unit: str | None = None) -> Iterator[T]:
    """Loop over `iterable` as one run in the app (total: `len(iterable)` when it has one)."""
    if total is None and hasattr(iterable, '__len__'):
        total = len(iterable)  # type: ignore[arg-type]
    with Run(name, total=total, unit=unit) as run:
        for item in iterable:
            yield item
            run.advance()
