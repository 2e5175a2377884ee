"""Running ffmpeg as a job's child process: `-progress` parsed into live progress, stderr into the log."""

from __future__ import annotations

import functools
import re
import shlex
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from progress_app.kinds.ffmpeg.probing import MediaError, clock, executable

if TYPE_CHECKING:
    import os

    from progress_app.runtime.engine.context import JobContext

STATS_PERIOD_SECONDS = 0.25
"""How often ffmpeg reports progress: often enough for a live bar; the cost is a few lines on a pipe."""
ERROR_LINES = 8
"""How many of ffmpeg's error lines (or, without any, its last lines) a failed encode quotes in its error."""


class EncodeFailed(MediaError):
    def __init__(self, code: int, last_lines: Sequence[str]) -> None:
        reason = f'killed by signal {-code}' if code < 0 else f'exit code {code}'
        tail = '\n'.join(last_lines)
        super().__init__(f'ffmpeg failed ({reason})' + (f':\n{tail}' if tail else ''))
        self.code = code


@dataclass(frozen=True, slots=True)
class EncodeProgress:
    """One report of `ffmpeg -progress`: how much media is written, how fast, and whether it was the last."""

    out_seconds: float
    fps: float | None
    speed: float | None
    """×realtime: seconds of media per second of wall time."""
    frame: int | None
    ended: bool


class ProgressParser:
    """Reads the key=value lines of `ffmpeg -progress`; `feed` returns an EncodeProgress at each block's end."""

    def __init__(self) -> None:
        self._values: dict[str, str] = {}
        self.last: EncodeProgress | None = None

    def feed(self, line: str) -> EncodeProgress | None:
        key, sep, value = line.strip().partition('=')
        if not sep:
            return None
        if key != 'progress':
            self._values[key] = value.strip()
            return None
        values, self._values = self._values, {}
        out = _number(values.get('out_time_us')) or _number(values.get('out_time_ms'))  # both are µs in ffmpeg
        seconds = out / 1e6 if out is not None else _timestamp(values.get('out_time'))
        if seconds is None:
            seconds = self.last.out_seconds if self.last else 0.0
        frame = _number(values.get('frame'))
        self.last = EncodeProgress(out_seconds=max(0.0, seconds), fps=_number(values.get('fps')),
                                   speed=_number(values.get('speed', '').rstrip('x')),
                                   frame=int(frame) if frame is not None else None, ended=value.strip() == 'end')
        return self.last


def _number(text: str | None) -> float | None:
    try:
        return float(text) if text else None
    except ValueError:  # 'N/A' before the first frame
        return None


def _timestamp(text: str | None) -> float | None:
    found = re.fullmatch(r'(-?)(\d+):(\d\d):(\d\d(?:\.\d+)?)', text or '')
    if found is None:
        return None
    sign = -1 if found[1] else 1
    return sign * (int(found[2]) * 3600 + int(found[3]) * 60 + float(found[4]))


def describe_progress(update: EncodeProgress, duration: float | None) -> str:
    """'240 fps · 0:12.00 of 1:30.00'. Not ffmpeg's speed: the job's speed is the app's measure (× realtime),
    shown beside the message, and one speed is enough."""
    parts = []
    if update.fps:
        parts.append(f'{update.fps:.0f} fps')
    parts.append(clock(update.out_seconds) + (f' of {clock(duration)}' if duration else ''))
    return ' · '.join(parts)


@dataclass(frozen=True, slots=True)
class EncodeStats:
    seconds: float
    """Wall time of the encode (paused time included)."""
    media_seconds: float
    speed: float | None
    """Average ×realtime over the whole encode."""
    frames: int | None


def partial_path(output: str | os.PathLike[str]) -> Path:
    """Where `encode` writes before the rename: hidden, next to the output, same extension (ffmpeg needs it)."""
    output = Path(output)
    return output.with_name(f'.{output.stem}.partial{output.suffix}')


def encode(ctx: JobContext, args: Sequence[str], duration: float | None = None, *,
           on_progress: Callable[[EncodeProgress], None] | None = None, quiet: bool = False) -> EncodeStats:
    """Run ffmpeg with `args` (from `transcode_args`/`watermark_args`: the output file comes last) as the job's
    child process, and return how it went. Raises EncodeFailed (quoting ffmpeg's errors) or JobCancelled.

    ffmpeg's stderr goes to the job log. By default progress is reported into the current stage: `current`/
    `total` in seconds of media (`duration` from `probe`; None: unknown; the app shows their rate as × realtime),
    and the message shows fps and the media time. Pass `on_progress` to handle the reports yourself instead (e.g.
    a batch counting files and bytes). `quiet`: only ffmpeg's warnings and errors go to the log (one of many
    encodes of a job: the segments of a video).
    Pause stops ffmpeg (SIGSTOP); cancel kills it. Either way the partial output is removed.
    """
    output = Path(args[-1])
    partial = partial_path(output)
    level = 'level+warning' if quiet else 'level+info'
    command = [executable(), '-hide_banner', '-nostdin', '-y', '-nostats', '-loglevel', level,
               '-progress', 'pipe:1', '-stats_period', str(STATS_PERIOD_SECONDS), *args[:-1], str(partial)]
    if on_progress is None:
        ctx.set_total(duration, 'seconds')
        on_progress = functools.partial(_report, ctx, duration)
    parser = ProgressParser()
    tail: deque[str] = deque(maxlen=ERROR_LINES)
    errors: list[str] = []

    def on_line(line: str, stream: str) -> None:
        if stream == 'err':
            text, level = _leveled(line)
            ctx.log(text)
            tail.append(text)
            if level in ('error', 'fatal', 'panic') and text not in errors and len(errors) < ERROR_LINES:
                errors.append(text)
        elif (update := parser.feed(line)) is not None:
            on_progress(update)

    ctx.log(f'[ffmpeg] {shlex.join(command[1:])}')
    started = time.monotonic()
    try:
        code = ctx.run_process(command, on_line=on_line, log_output=False)
        if code != 0:
            raise EncodeFailed(code, errors or tail)
        partial.replace(output)
    except BaseException:  # cancel, interrupt and failure alike: no half-written file stays behind
        partial.unlink(missing_ok=True)
        raise
    seconds = time.monotonic() - started
    last = parser.last
    media = last.out_seconds if last else 0.0
    return EncodeStats(seconds=seconds, media_seconds=media, speed=media / seconds if seconds > 0 and media else None,
                       frames=last.frame if last else None)


_LEVEL = re.compile(r'^((?:\[[^\]]*\] )*)\[(panic|fatal|error|warning|info)\] ')
_ADDRESS = re.compile(r' @ 0x[0-9a-f]+\]')


def _leveled(line: str) -> tuple[str, str | None]:
    """A line of `-loglevel level+info` as shown in the log ('[avi] [error] …'; info lines untagged), and its level.

    The tags are what lets a failure quote ffmpeg's actual errors rather than its closing statistics.
    """
    found = _LEVEL.match(line)
    if found is None:
        return line, None
    context, level = _ADDRESS.sub(']', found[1]), found[2]
    return f'{context}{"" if level == "info" else f"[{level}] "}{line[found.end():]}', level


def _report(ctx: JobContext, duration: float | None, update: EncodeProgress) -> None:
    done = duration if update.ended and duration else update.out_seconds
    ctx.set_current(min(done, duration) if duration else done)
    ctx.message(describe_progress(update, duration))
