"""What a parser makes of one output line (`Reading`), and the number and size helpers the tool parsers share."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

ANSI = re.compile(r'\x1b\[[0-?]*[ -/]*[@-~]|\x1b[78=>]|\x1bP[^\x1b]*\x1b\\')
NUMBER = r'\d+(?:\.\d+)?'
_BACKSPACES = re.compile(r'\x08+')
_DECIMAL = {'': 1.0, 'k': 1e3, 'K': 1e3, 'M': 1e6, 'G': 1e9, 'T': 1e12, 'P': 1e15}
_BINARY = {'': 1.0, 'k': 1024.0, 'K': 1024.0, 'M': 1024.0 ** 2, 'G': 1024.0 ** 3, 'T': 1024.0 ** 4,
           'P': 1024.0 ** 5}
BYTES = 'bytes'
"""The unit of a reading in bytes: the UI shows its counts as sizes and its speed as MB/s."""


@dataclass(slots=True)
class Reading:
    """What one line reports: `current` of `total` units (both None for a message only; `total` None alone: a
    count without an end, like dd's bytes), and a message.

    Tool lines say more: `label` (what the tool says it is doing: 'Receiving objects', a bar's description),
    `speed` in `speed_unit` per second as the tool measured it, and `meter`, set for a status line a tool redraws
    in place (a bar, a meter): lines with the same `meter` are updates of one display, not separate log lines.
    `quiet` marks a line that belongs to a meter's display but says nothing (curl's column headings).
    """

    current: float | None
    total: float | None
    unit: str | None = None
    message: str | None = None
    label: str | None = None
    speed: float | None = None
    speed_unit: str | None = None
    meter: str | None = None
    quiet: bool = False

    @property
    def percent(self) -> float | None:
        if self.current is None or not self.total:
            return None
        return min(max(self.current / self.total * 100.0, 0.0), 100.0)


def visible(line: str) -> str:
    """A line as a terminal would leave it: colour and cursor codes gone, and of text redrawn with backspaces
    (7-Zip) only the last drawing."""
    text = ANSI.sub('', line)
    if '\x08' in text:
        drawings = [part for part in _BACKSPACES.split(text) if part.strip()]
        text = drawings[-1] if drawings else ''
    return text.strip()


def size(value: str, unit: str = '', *, binary: bool = True) -> float:
    """Bytes from a tool's '28.6' + 'M' / 'MiB' / 'MB' / 'kB' / 'bytes'. An 'i' unit is binary, a bare prefix
    or 'B' unit follows `binary` (the tool's habit: curl, wget, rsync and pv count in 1024s, dd and pip in 1000s).
    Digit groups ('60,000,000') are allowed; a comma before one or two digits is a decimal comma."""
    number = _float_text(value)
    prefix = unit[:1] if unit[:1] in _DECIMAL and unit[:1] else ''
    scale = _BINARY if ('i' in unit or binary) else _DECIMAL
    return number * scale[prefix]


def rate(value: str, unit: str = '', *, binary: bool = True) -> float | None:
    """Bytes per second from a speed like '9.9' 'M' (None for '--.-', '?' or 'Unknown')."""
    try:
        return size(value, unit, binary=binary)
    except ValueError:
        return None


def _float_text(value: str) -> float:
    text = value.strip()
    if re.fullmatch(r'\d{1,3}(?:,\d{3})+', text):
        text = text.replace(',', '')
    else:
        text = text.replace(',', '.')
    number = float(text)
    if not math.isfinite(number):
        raise ValueError(f'not a finite number: {value!r}')
    return number


def by_percent(current_bytes: float, percent: float | None) -> float | None:
    """The total a tool that prints only bytes done and a percent implies (None before it says any percent)."""
    if percent is None or percent <= 0:
        return None
    return max(current_bytes * 100.0 / percent, current_bytes)


def percent_reading(percent: str | float, **fields: object) -> Reading:
    """A reading in percent (for tools that count nothing else): current = the percent, of 100."""
    value = min(max(float(percent), 0.0), 100.0)
    return Reading(value, 100.0, '%', **fields)  # type: ignore[arg-type]


def format_percent(value: float) -> str:
    text = f'{value:.1f}'.removesuffix('.0')
    return f'{text} %'


def format_size(value: float) -> str:
    """Decimal units, as the UI shows sizes: '999 B', '20.1 MB'."""
    for unit in ('B', 'kB', 'MB', 'GB', 'TB'):
        if abs(value) < 1000 or unit == 'TB':
            return f'{value:.0f} {unit}' if unit == 'B' else f'{value:.1f} {unit}'
        value /= 1000
    raise AssertionError('unreachable')


def format_speed(speed: float, unit: str | None) -> str:
    if unit == BYTES:
        return f'{format_size(speed)}/s'
    if unit == 'fps':
        return f'{speed:.1f} fps'
    return f'{speed:.3g} {unit or "it"}/s' if speed < 100 else f'{speed:.0f} {unit or "it"}/s'
