"""Reading progress out of a program's output lines.

Understood, in this order: JSON lines (`{"progress": 0.42, "message": "…"}`, progress as 0–1 or 0–100, or
`current`/`total`), tqdm bars (`42%|████      | 42/100 [00:01<00:02, 40.0it/s]`), a custom regex with named
groups (`percent`, or `current` and `total`, optional `message`), `N/M`, and `NN%`.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

_TQDM = re.compile(r'(\d{1,3})%\|[^|]*\|\s*([\d.]+)([kMGTP]?)/([\d.]+)([kMGTP]?)(?:\s*\[[^\]]*?([A-Za-z]+)/s)?')
_FRACTION = re.compile(r'(?<![\w./])(\d+)\s*/\s*(\d+)(?![\w/])')
_PERCENT = re.compile(r'(?<![\w.])(\d{1,3}(?:\.\d+)?)\s?%')
_SCALE = {'': 1, 'k': 1e3, 'M': 1e6, 'G': 1e9, 'T': 1e12, 'P': 1e15}


@dataclass(slots=True)
class Reading:
    current: float | None
    total: float | None
    unit: str | None = None
    message: str | None = None


def parse_line(line: str, pattern: re.Pattern[str] | None = None) -> Reading | None:
    """The progress a line reports, or None if it reports none."""
    text = line.strip()
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
            return Reading(current, total, m[6] if m[6] and m[6] != 'it' else None)
    if m := _FRACTION.search(text):
        current, total = float(m[1]), float(m[2])
        if 0 < total and current <= total:
            return Reading(current, total)
    if matches := _PERCENT.findall(text):
        value = float(matches[-1])
        if value <= 100:
            return Reading(value, 100.0, '%')
    return None


def _json_reading(text: str) -> Reading | None:
    try:
        data = json.loads(text)
    except ValueError:
        return None
    if not isinstance(data, dict):
        return None
    message = data.get('message')
    message = str(message) if message is not None else None
    current, total = _number(data.get('current')), _number(data.get('total'))
    if current is not None and total:
        return Reading(current, total, data.get('unit'), message)
    progress = _number(data.get('progress'))
    if progress is None:
        return Reading(None, None, None, message) if message is not None else None
    percent = progress * 100 if progress <= 1 else progress
    return Reading(min(max(percent, 0.0), 100.0), 100.0, '%', message)


def _regex_reading(pattern: re.Pattern[str], text: str) -> Reading | None:
    m = pattern.search(text)
    if m is None:
        return None
    groups = m.groupdict()
    message = groups.get('message')
    if groups.get('current') is not None and groups.get('total') is not None:
        total = float(groups['total'])
        return Reading(float(groups['current']), total, None, message) if total > 0 else None
    raw = groups.get('percent') or (m.group(1) if m.re.groups else None)
    if raw is None:
        return None
    return Reading(min(max(float(raw), 0.0), 100.0), 100.0, '%', message)


def _number(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)
