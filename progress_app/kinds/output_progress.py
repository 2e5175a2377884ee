"""Reading progress out of a program's output lines: the entry point the `command` kind (and `progress-app run`)
calls is `OutputReader`, one per run; `parse_line` reads a single line.

Understood, in this order: JSON lines (`{"progress": 0.42, "message": "…"}` with progress as 0–1 or 0–100,
`{"percent": 42}`, `{"current": 3, "total": 10, "unit": "files"}`, or only a message); then either the job's own
regex (named groups `percent`, or `current` and `total`, optional `message`; a pattern without those groups uses
its first group as the percent), or the built-in patterns: the tools people wrap (curl's meter and `-#` bar, wget,
yt-dlp, pip, rsync, pv, dd, git, 7-Zip, HandBrakeCLI; see progress_parsers/), Python's progress bars (tqdm,
enlighten, rich, alive-progress), then `N/M` (`3/10`, `3.2/10.0 MB`; not dates, paths or fractions like `1/0`) and
`NN%`. A custom regex replaces the built-in patterns: it is how a job avoids their false positives.
Colour codes are ignored, and so is what a backspace redraw erased. A line that reports nothing gives None.

A tool's status line (a bar, a meter) becomes the job's message as what it says in words: '42 % · 20.1 MB/s',
'Receiving objects · 48 % · 11.2 MB/s'. Redrawn in place (with `\\r`), it is one display, not one log line per
redraw: the log gets its first drawing, its last one, and one every `LOG_EVERY_SECONDS` in between.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Protocol

from progress_app.kinds.progress_parsers import TOOLS
from progress_app.kinds.progress_parsers.generic import fraction_or_percent, json_reading, regex_reading
from progress_app.kinds.progress_parsers.python_bars import TQDM, tqdm_label
from progress_app.kinds.progress_parsers.reading import (
    BYTES,
    Reading,
    format_percent,
    format_size,
    format_speed,
    visible,
)

__all__ = ['LOG_EVERY_SECONDS', 'OutputReader', 'ProgressSink', 'Reading', 'Update', 'child_env', 'feed',
           'meter_message', 'parse_line', 'status_text']

LOG_EVERY_SECONDS = 15.0
"""How often a redrawn status line that goes on redrawing is written to the log (besides its first and last)."""


def parse_line(line: str, pattern: re.Pattern[str] | None = None) -> Reading | None:
    """The progress a line reports, or None if it reports none."""
    text = visible(line)
    if not text:
        return None
    if text.startswith('{'):
        reading = json_reading(text)
        if reading is not None:
            return reading
    if pattern is not None:
        return regex_reading(pattern, text)
    for parser in TOOLS:
        if (reading := parser(text)) is not None:
            return reading
    return fraction_or_percent(text)


def status_text(line: str) -> str:
    """A line as the job's status message ('Now'): without colour codes and surrounding space; a tqdm bar gives
    its description ('Downloading'), a JSON line nothing (it says its message explicitly, or has none)."""
    text = visible(line)
    if text.startswith('{'):
        return ''
    if m := TQDM.search(text):
        return tqdm_label(text[:m.start()])
    return text


def meter_message(reading: Reading) -> str:
    """A tool's status line in words: '[label · ]42 % · 20.1 MB/s' ('1.2 GB · 410.0 MB/s' without a total)."""
    parts = [reading.label] if reading.label else []
    if (percent := reading.percent) is not None:
        parts.append(format_percent(percent))
    elif reading.current is not None:
        parts.append(format_size(reading.current) if reading.unit == BYTES else f'{reading.current:g} '
                     f'{reading.unit or "items"}')
    if reading.speed is not None and reading.speed > 0:
        parts.append(format_speed(reading.speed, reading.speed_unit or reading.unit))
    return ' · '.join(parts)


@dataclass(slots=True)
class Update:
    """What one output line means for the job."""

    reading: Reading | None
    """Progress to apply (`current` not None: set it, with `total` and `unit`), or None."""
    message: str | None
    """The job's new status message, or None to keep the one it has."""
    log: list[str] = field(default_factory=list)
    """Lines to append to the job's log now (none while a redrawn line is only being redrawn)."""
    text: str = ''
    """The line as a terminal would show it in the end (backspace redraws resolved), for error messages."""
    progress: bool = False
    """The line reports progress (a run of them keeps only its latest in an error message's last lines)."""


class OutputReader:
    """Reads one program's output line by line (both streams): progress, status message and what to log."""

    def __init__(self, pattern: re.Pattern[str] | None = None, *,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._pattern = pattern
        self._clock = clock
        self._pending: dict[str, tuple[str, str]] = {}  # display → (stream, its latest drawing), not logged yet
        self._logged: dict[str, tuple[float, str]] = {}  # display → when it was last logged, and what

    def read(self, line: str, stream: str = 'out') -> Update:
        """What `line` of `stream` ('out' or 'err') means: other output ends a redrawn display of its own stream
        (so the log keeps their order), not one of the other stream (tqdm on stderr, prints on stdout)."""
        reading = parse_line(line, self._pattern)
        text = visible(line) if '\x08' in line else line
        if reading is not None and reading.unit == 'B':  # tqdm's unit_scale'd bytes
            reading.unit = BYTES
        meter = reading.meter if reading is not None else None
        log = [*self._flush(stream), text] if meter is None else self._redrawn(meter, stream, text)
        progress = reading is not None and (reading.current is not None or meter is not None)
        return Update(reading, self._message(reading, line), log, text, progress)

    def finish(self) -> list[str]:
        """The last drawings not logged yet (call when the output ends): the final state of each display."""
        return self._flush(None)

    def _flush(self, stream: str | None) -> list[str]:
        done = [meter for meter, (source, _) in self._pending.items() if stream is None or source == stream]
        log = []
        for meter in done:
            _, text = self._pending.pop(meter)
            if text != self._logged[meter][1]:  # a tool that prints the same state again is not logged twice
                log.append(text)
                self._logged[meter] = (self._logged[meter][0], text)
        return log

    def _redrawn(self, meter: str, stream: str, text: str) -> list[str]:
        now = self._clock()
        if meter not in self._logged:  # a new display: whatever was redrawn before it has its final state
            log = [*self._flush(None), text]
        elif now - self._logged[meter][0] >= LOG_EVERY_SECONDS:
            self._pending.pop(meter, None)
            log = [text]
        else:
            self._pending[meter] = (stream, text)
            return []
        self._logged[meter] = (now, text)
        return log

    @staticmethod
    def _message(reading: Reading | None, line: str) -> str | None:
        if reading is not None:
            if reading.message:
                return reading.message
            if reading.quiet:
                return None
            if reading.meter is not None:
                return meter_message(reading) or None
        return status_text(line) or None


class ProgressSink(Protocol):
    """Where what a line means goes: a job's context (the `command` kind) or a reported run (`progress-app run`)."""

    def log(self, text: str) -> None: ...

    def message(self, text: str) -> None: ...

    def set_total(self, total: float | None, unit: str | None = None) -> None: ...

    def set_current(self, current: float) -> None: ...


def feed(reader: OutputReader, line: str, stream: str, sink: ProgressSink) -> Update:
    """Read one output line and tell `sink` what it means: lines to log, the status message, the progress."""
    update = reader.read(line, stream)
    for text in update.log:  # a line redrawn with '\r' is logged as one line, not once per redraw
        sink.log(text)
    if update.message is not None:  # what the program says it is doing: its latest line, or its bar in words
        sink.message(update.message)
    reading = update.reading
    if reading is not None and reading.current is not None and (reading.total or reading.unit):
        sink.set_total(reading.total, reading.unit)  # no total (dd's bytes): a count and a speed, no percent
        sink.set_current(reading.current)
    return update


def child_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment for a program whose output is read through a pipe: Python children flush each line at
    once, so their progress shows live instead of when a buffer fills; rich (and pip, which draws with it) redraws
    its bars into the pipe instead of printing only the finished one."""
    return {'TTY_COMPATIBLE': '1', **os.environ, 'PYTHONUNBUFFERED': '1', **(extra or {})}
