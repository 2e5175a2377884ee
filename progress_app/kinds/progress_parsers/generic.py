"""The formats any program may print: JSON lines, the job's own regex, and the catch-alls `N/M` and `NN%`."""

from __future__ import annotations

import json
import math
import re

from progress_app.kinds.progress_parsers.reading import NUMBER, Reading

# N/M that is not part of a date (2024/11/23), a path (a/1/2), an address (10.0.0.1/24) or a file name (1/2.txt).
_FRACTION = re.compile(rf'(?<![\w./])({NUMBER})\s*/\s*({NUMBER})(?![\w/]|\.\w)')
_PERCENT = re.compile(r'(?<![\w.])(\d{1,3}(?:\.\d+)?)\s?%')


def json_reading(text: str) -> Reading | None:
    """`{"progress": 0.42, "message": "…"}` (0–1 or 0–100), `{"percent": 42}`, `{"current": 3, "total": 10,
    "unit": "files"}`, or only a message."""
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


def regex_reading(pattern: re.Pattern[str], text: str) -> Reading | None:
    """The job's own pattern: named groups `percent`, or `current` and `total`, optional `message`; a pattern
    without those groups uses its first group as the percent."""
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


def fraction_or_percent(text: str) -> Reading | None:
    """`3/10`, `3.2/10.0 MB` (not dates, paths or `1/0`), else the last `NN%` of the line."""
    for m in _FRACTION.finditer(text):
        current, total = float(m[1]), float(m[2])
        if 0 < total and current <= total:
            return Reading(current, total)
    if matches := _PERCENT.findall(text):
        value = float(matches[-1])
        if value <= 100:
            return Reading(value, 100.0, '%')
    return None


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
