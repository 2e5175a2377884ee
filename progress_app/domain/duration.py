"""A duration as people read it, the one way the app writes one: in the UI, in notifications, in job messages."""

from __future__ import annotations

import math


def duration(seconds: float | None, unknown: str = '—') -> str:
    """'850 ms', '45 s', '3 min 12 s', '2 h 5 min', '3 d 4 h'; `unknown` for None, NaN or infinity."""
    if seconds is None or not math.isfinite(seconds):
        return unknown
    seconds = max(seconds, 0.0)
    if seconds < 1:
        return f'{seconds * 1000:.0f} ms'
    days, rest = divmod(round(seconds), 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        return f'{days} d {hours} h' if hours else f'{days} d'
    if hours:
        return f'{hours} h {minutes} min' if minutes else f'{hours} h'
    if minutes:
        return f'{minutes} min {secs} s' if secs else f'{minutes} min'
    return f'{secs} s'
