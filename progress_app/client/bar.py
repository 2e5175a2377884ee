"""`tqdm`: a drop-in `tqdm.tqdm` that also reports into the app, built like tqdm's own `contrib.telegram`.

    from progress_app.client import tqdm      # instead of: from tqdm import tqdm

Each top-level bar is a job named by its `desc` (else the script's file name); a bar opened while another is open
(an inner loop) shows as that job's message. The bar still prints in the terminal (and a bar the terminal would not
show, `disable=True` or not a TTY, still reports). `update()` is tqdm's own: the sender thread reads the bar's
numbers; the app's pause or cancel is obeyed when tqdm redraws the bar (at most `mininterval` after the update
that made it due), never from tqdm's monitor thread.
"""

from __future__ import annotations

import sys
import threading
from typing import Any

from tqdm import tqdm as std_tqdm
from tqdm._monitor import TMonitor

from progress_app.client.channel import Channel, script_name
from progress_app.client.sender import sender

__all__ = ['tqdm', 'trange']

UNITS = {'it': 'items', 'B': 'bytes'}
"""tqdm's units as the app names them."""
_open: list[tqdm] = []  # this process's bars that are open, oldest first
_open_lock = threading.Lock()


class _Nowhere:
    """Where a bar the terminal should not show draws itself."""

    def write(self, text: str) -> int:
        return len(text)

    def flush(self) -> None:
        pass


class tqdm(std_tqdm):  # named as the class it replaces
    _channel: Channel | None = None  # set once tqdm's __init__ is done: it redraws the bar before that
    _obeys: Channel | None = None
    _parent: tqdm | None = None
    _error: BaseException | None = None

    def __init__(self, *args: Any, url: str | None = None, token: str | None = None, **kwargs: Any) -> None:
        """`url` and `token` name the app (default: PROGRESS_APP_URL, PROGRESS_APP_TOKEN, 127.0.0.1:8080); the
        other arguments are tqdm's."""
        disable = kwargs.get('disable', False)
        if disable or (disable is None and not _is_terminal(kwargs.get('file') or sys.stderr)):
            kwargs.update(disable=False, file=_Nowhere())
        super().__init__(*args, **kwargs)
        self._first_desc = self.desc
        with _open_lock:
            self._parent = next((bar for bar in _open if bar._parent is None), None)
            _open.append(self)
        if self._parent is None:
            start = {'name': (self.desc or '').strip(': ') or script_name(), 'total': self.total,
                     'unit': UNITS.get(self.unit, self.unit)}
            self._channel = sender().open(start, self._progress, url, token)
            self._obeys = self._channel
        else:
            self._obeys = self._parent._channel

    def refresh(self, nolock: bool = False, lock_args: Any = None) -> Any:
        shown = super().refresh(nolock=nolock, lock_args=lock_args)
        channel = self._obeys
        if channel is not None and channel.halt and not isinstance(threading.current_thread(), TMonitor):
            channel.obey()
        return shown

    def __exit__(self, kind: Any, error: BaseException | None, tb: Any) -> None:
        self._error = error
        super().__exit__(kind, error, tb)

    def close(self) -> None:
        if getattr(self, 'disable', True):  # closed already (tqdm marks a closed bar disabled), or never made
            return
        # Closed while an exception is on its way (tqdm's loop closes the bar in a `finally`), the job's end is
        # decided a moment later: failed if the script dies of it, completed if it was a `break` or handled.
        error = self._error or sys.exc_info()[1]
        if error is not None and self._error is None:
            error = GeneratorExit()
        super().close()
        with _open_lock:
            if self in _open:
                _open.remove(self)
        if self._channel is not None:
            self._channel.end(error)

    @classmethod
    def write(cls, s: str, file: Any = None, end: str = '\n', nolock: bool = False) -> None:
        """tqdm's `write`, and the line goes to the log of the newest job of this process."""
        super().write(s, file=file, end=end, nolock=nolock)
        with _open_lock:
            channel = next((bar._channel for bar in reversed(_open) if bar._channel is not None), None)
        if channel is not None:
            channel.outbox.log(str(s))

    def _progress(self) -> dict[str, Any]:
        fields: dict[str, Any] = {'current': self.n, 'total': self.total, 'unit': UNITS.get(self.unit, self.unit)}
        with _open_lock:
            inner = next((bar for bar in reversed(_open) if bar._parent is self), None)
        if inner is not None:
            fields['message'] = inner._in_words()
        else:
            said = [text for text in (self.desc if self.desc != self._first_desc else '', self.postfix) if text]
            if said:
                fields['message'] = ' · '.join(said)
        return {k: v for k, v in fields.items() if v is not None}

    def _in_words(self) -> str:
        """An inner bar as its job's message: 'epoch 3: 120/500 batches'."""
        count = f'{self.n:g}' + (f'/{self.total:g}' if self.total else '')
        unit = UNITS.get(self.unit, self.unit)
        label = (self.desc or '').strip(': ')
        return f'{label}: {count} {unit}' if label else f'{count} {unit}'


def trange(*args: Any, **kwargs: Any) -> tqdm:
    """`tqdm(range(*args), **kwargs)`."""
    return tqdm(range(*args), **kwargs)


def _is_terminal(stream: Any) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False
