"""One run in the app as this process sees it: what starts it, what it has to tell (an Outbox), and what the app
wants of the script (its control: run, pause or cancel), which the script obeys at its next update."""

from __future__ import annotations

import getpass
import os
import socket
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from progress_app.client.outbox import Outbox
from progress_app.client.transport import Link, settings

RUN, PAUSE, CANCEL = 'run', 'pause', 'cancel'


class Cancelled(KeyboardInterrupt):
    """The run was cancelled in the app (or removed from it). A KeyboardInterrupt, so that `except Exception` in
    the script does not swallow it."""


def script_name() -> str:
    """The running script's file name ('train.py'), the default name of a run."""
    name = Path(sys.argv[0]).name if sys.argv and sys.argv[0] else ''
    return name if name and name != '-c' else 'script'


def process_facts() -> dict[str, Any]:
    """Where the script runs, as the app shows it."""
    try:
        user: str | None = getpass.getuser()
    except (OSError, KeyError):  # no name for the uid (a container)
        user = None
    return {'host': socket.gethostname(), 'pid': os.getpid(), 'user': user,
            'command': ' '.join(sys.argv) or None}


def outcome(error: BaseException | None, result: Any = None) -> dict[str, Any]:
    """The protocol's `done` fields for a run that ended with `error` (None: it completed with `result`)."""
    if error is None:
        return {'result': result}
    if isinstance(error, KeyboardInterrupt):  # Cancelled, or Ctrl-C: the user stopped it
        return {'cancelled': True}
    if isinstance(error, SystemExit):
        code = error.code
        if code is None or code == 0:
            return {'result': result}
        return {'exit_code': code} if isinstance(code, int) else {'exit_code': 1, 'error': str(code)}
    import traceback  # only for a failure

    return {'error': f'{type(error).__name__}: {error}'.rstrip(': '),
            'traceback': ''.join(traceback.format_exception(error))}


class Channel:
    """The link between one run of the script and its job in the app. The script's thread calls `obey` when
    `halt` is set, and `end`; the sender does the rest."""

    def __init__(self, start: dict[str, Any], source: Callable[[], dict[str, Any]], wake: Callable[[], None],
                 url: str | None = None, token: str | None = None) -> None:
        url, token = settings(url, token)
        self.url = url
        self.start = {k: v for k, v in {**process_facts(), **start}.items() if v is not None}
        self.source = source
        """The run's progress fields now (current, total, unit, stage, message): read by the sender."""
        self.link, self.poll = Link(url, token), Link(url, token)
        self.outbox = Outbox()
        self.job: dict[str, Any] | None = None
        """The app's answer to the start: the job (its id, attempts, external.resume_state)."""
        self.tried = threading.Event()
        """The start was tried once (answered or not)."""
        self.control = RUN
        self.halt = False
        """The app wants something other than running: the script's next update calls `obey`."""
        self.ended = False
        """Nothing more to send (done delivered, or the app refused the run)."""
        self.ended_early_at: float | None = None
        self.last_report = 0.0
        self.poll_since = 0.0
        self.wake = wake
        self._cond = threading.Condition()

    @property
    def job_id(self) -> int | None:
        return None if self.job is None else self.job['id']

    def set_control(self, control: str) -> None:
        with self._cond:
            self.control = control if control in (RUN, PAUSE, CANCEL) else RUN
            self.halt = self.control != RUN
            self._cond.notify_all()

    def obey(self) -> None:
        """Block while the app asks for a pause (after telling it the script has stopped); raise Cancelled on
        cancel. Called by the script's thread, in its update."""
        with self._cond:
            if self.control == PAUSE:
                self.outbox.paused = True
                self.wake()
                while self.control == PAUSE:
                    self._cond.wait()
            if self.control == CANCEL:
                raise Cancelled(f'the run was cancelled in the app (job {self.job_id})')

    def end(self, error: BaseException | None = None, result: Any = None) -> None:
        """The run ended. Ended by GeneratorExit (a loop over it left early: `break`, or an exception on its way
        out), the sender decides a moment later, when it knows whether the script dies of an exception."""
        if self.outbox.done is not None or self.ended_early_at is not None:
            return
        if self.control == CANCEL:  # whatever ended it, the app had cancelled it
            error = Cancelled()
        if isinstance(error, GeneratorExit):
            self.ended_early_at = time.monotonic()
        else:
            self.outbox.finish(**outcome(error, result))
        self.wake()

    def decide(self, uncaught: BaseException | None) -> None:
        """Settle a run that ended early: failed with the script's uncaught exception, else completed."""
        self.ended_early_at = None
        self.outbox.finish(**outcome(uncaught))
