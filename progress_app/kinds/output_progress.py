"""Reading progress out of a program's output lines.

Understood, in this order: JSON lines (`{"progress": 0.42, "message": "…"}` with progress as 0–1 or 0–100,
`{"percent": 42}`, `{"current": 3, "total": 10, "unit": "files"}`, or only a message); then either the job's own
regex (named groups `percent`, or `current` and `total`, optional `message`; a pattern without those groups uses
its first group as the percent), or the built-in patterns: tqdm bars (`42%|████      | 42/100 [00:01<00:02,
40.0it/s]`), `N/M` (`3/10`, `3.2/10.0 MB`; not dates, paths or fractions like `1/0`), and `NN%`.
A custom regex replaces the built-in patterns: it is how a job avoids their false positives.
Colour codes are ignored. A line that reports nothing gives None.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass

_ANSI = re.compile(r'\x1b\[[0-9;?]*[ -/]*[@-~]')
_NUMBER = r'\d+(?:\.\d+)?'
_TQDM = re.compile(rf'(\d{{1,3}})%\|[^|]*\|\s*({_NUMBER})([kMGTP]?)/({_NUMBER})([kMGTP]?)'
                   r'(?:\s*\[[^\]]*?([A-Za-z]+)/s)?')
# N/M that is not part of a date (2024/11/23), a path (a/1/2), an address (10.0.0.1/24) or a file name (1/2.txt).
_FRACTION = re.compile(rf'(?<![\w./])({_NUMBER})\s*/\s*({_NUMBER})(?![\w/]|\.\w)')
_PERCENT = re.compile(r'(?<![\w.])(\d{1,3}(?:\.\d+)?)\s?%')
_SCALE = {'': 1, 'k': 1e3, 'M': 1e6, 'G': 1e9, 'T': 1e12, 'P': 1e15}


@dataclass(slots=True)
class Reading:
    """What one line reports: `current` of `total` units (both None for a message only), and a message."""

    current: float | None
    total: float | None
    unit: str | None = None
    message: str | None = None


def parse_line(line: str, pattern: re.Pattern[str] | None = None) -> Reading | None:
    """The progress a line reports, or None if it reports none."""
    text = _ANSI.sub('', line).strip()
    if not text:
        return None
    if text.startswith('{'):
        reading = _json_reading(text)
        if reading is not None:
            return reading
    if pattern is not None:
        return _regex_reading(pattern, text)
    if m := _TQDM.search(text):
        current = float(m[2]) * _SCALE[m[3]]
        total = float(m[4]) * _SCALE[m[5]]
        if total > 0:
            return Reading(min(current, total), total, _tqdm_unit(m[6], scaled=bool(m[3] or m[5])))
    for m in _FRACTION.finditer(text):
        current, total = float(m[1]), float(m[2])
        if 0 < total and current <= total:
            return Reading(current, total)
    if matches := _PERCENT.findall(text):
        value = float(matches[-1])
        if value <= 100:
            return Reading(value, 100.0, '%')
    return None


def status_text(line: str) -> str:
    """A line as the job's status message ('Now'): without colour codes and surrounding space; a tqdm bar gives
    its description ('Downloading'), a JSON line nothing (it says its message explicitly, or has none)."""
    text = _ANSI.sub('', line).strip()
    if text.startswith('{'):
        return ''
    if m := _TQDM.search(text):
        return text[:m.start()].strip().rstrip(':').rstrip()
    return text


def _tqdm_unit(unit: str | None, *, scaled: bool) -> str | None:
    if scaled and unit and len(unit) > 1 and unit[0] in _SCALE:
        unit = unit[1:]  # '2.34MB/s' with unit_scale: the unit is 'B'
    return unit if unit and unit != 'it' else None


def _json_reading(text: str) -> Reading | None:
    try:
        data = json.loads(text)
    except ValueError:
        return None
    if not isinstance(data, dict):
        return None
    message = data.get('message')
    message = str(message) if message is not None else None
    unit = data.get('unit')
    unit = str(unit) if isinstance(unit, str) and unit else None
    current, total = _number(data.get('current')), _number(data.get('total'))
    if current is not None and total is not None and total > 0:
        return Reading(min(max(current, 0.0), total), total, unit, message)
    percent = _number(data.get('percent'))
    if percent is None and (progress := _number(data.get('progress'))) is not None:
        percent = progress * 100 if progress <= 1 else progress
    if percent is None:
        return Reading(None, None, None, message) if message is not None else None
    return Reading(min(max(percent, 0.0), 100.0), 100.0, '%', message)


def _regex_reading(pattern: re.Pattern[str], text: str) -> Reading | None:
    m = pattern.search(text)
    if m is None:
        return None
    groups = m.groupdict()
    message = groups.get('message')
    if 'current' in groups and 'total' in groups:
        current, total = _float(groups['current']), _float(groups['total'])
        if current is not None and total is not None and total > 0:
            return Reading(min(max(current, 0.0), total), total, None, message)
    elif 'percent' in groups or (m.re.groups and not groups):
        percent = _float(groups['percent'] if 'percent' in groups else m.group(1))
        if percent is not None:
            return Reading(min(max(percent, 0.0), 100.0), 100.0, '%', message)
    return Reading(None, None, None, message) if message else None


def _float(text: str | None) -> float | None:
    if text is None:
        return None
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def _number(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        return None
    return float(value)
