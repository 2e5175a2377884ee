"""Numbers as people read them: durations, rates, sizes, counts. Pure functions, unit-tested."""

from __future__ import annotations

import math
from typing import Any

from progress_app.domain.duration import duration

__all__ = ['count', 'duration', 'eta', 'job_count', 'job_speed', 'number', 'size', 'speed']

BYTE_UNITS = ('B', 'KB', 'MB', 'GB', 'TB', 'PB')


def eta(seconds: float | None) -> str:
    if seconds is None:
        return '—'
    if seconds < 1:
        return 'almost done'
    return f'{duration(seconds)} left'


def size(n: float) -> str:
    """Bytes in decimal units: '999 B', '1.2 MB'."""
    value = float(n)
    for unit in BYTE_UNITS:
        if abs(value) < 1000 or unit == BYTE_UNITS[-1]:
            return f'{value:.0f} {unit}' if unit == 'B' else f'{value:.1f} {unit}'
        value /= 1000
    raise AssertionError('unreachable')


def number(n: float) -> str:
    """'42', '1,234', '12.5' — no pointless '.0'."""
    if float(n).is_integer():
        return f'{int(n):,}'
    return f'{n:,.1f}' if abs(n) >= 10 else f'{n:,.2f}'


def speed(rate: float | None, unit: str, per_unit: bool | None = None) -> str:
    """'1.2 MB/s', '12.3 files/s', '4.0 s/frame' (slow work reads better as seconds per unit: `per_unit`, as the
    job's meter decided it, else below 1/s), '1.68× realtime' for media time (unit 'seconds')."""
    if rate is None or rate <= 0 or not math.isfinite(rate):
        return '—'
    if unit == 'bytes':
        return f'{size(rate)}/s'
    if unit == '%':
        return f'{rate:.1f} %/s'
    if unit == 'seconds':  # seconds of media (or of anything timed) per second of work
        return f'{rate:.2f}× realtime'
    if rate < 1 if per_unit is None else per_unit:
        return f'{1 / rate:.1f} s/{_singular(unit)}'
    return f'{number(round(rate, 2 if rate < 10 else 1))} {unit}/s'


def job_speed(job: dict[str, Any]) -> str:
    """A job's speed as every page writes it, from its snapshot."""
    return speed(job['speed'], job['unit'], job.get('speed_per_unit'))


def count(current: float, total: float | None, unit: str) -> str:
    """'42 / 100 items', '1.2 MB / 3.4 MB', '17 items' when the total is unknown."""
    if unit == 'bytes':
        return f'{size(current)} / {size(total)}' if total else size(current)
    if unit == '%':
        return f'{number(round(current, 1))} %'
    return f'{number(current)} / {number(total)} {unit}' if total else f'{number(current)} {unit}'


def job_count(job: dict[str, Any]) -> str:
    """A job's counts as every page writes them ('42 / 100 items'); '' while it has counted nothing (a command
    that reports no progress is not '0 items')."""
    if not job['current'] and not job['total']:
        return ''
    return count(job['current'], job['total'], job['unit'])


def _singular(unit: str) -> str:
    return unit[:-1] if unit.endswith('s') and len(unit) > 1 else unit
