"""Local-time arithmetic for the history charts: UTC offsets over a span of time, and where local buckets start.

A day bucket must start at local midnight on both sides of a daylight-saving change, so one fixed offset will
not do: `offsets()` lists each offset with the moment it took effect, for the database to add the right one to
each job's finish time. Pure functions of the process's time zone (`time.localtime`); no I/O.
"""

from __future__ import annotations

import time
from datetime import date, datetime, timedelta

DAY = 86400
HOUR = 3600
EPOCH_DAY = date(1970, 1, 1)


def offset_at(moment: float) -> int:
    """Seconds east of UTC of the local time zone at `moment`."""
    return time.localtime(moment).tm_gmtoff


def offsets(start: float, end: float) -> list[tuple[float, int]]:
    """`[(since, offset), …]` for the span: the offset at `start` first (its `since` is -inf), then each change
    with the second it took effect. Zones change at most a few times a year; each change is found to the second
    by bisection between the two days around it."""
    changes: list[tuple[float, int]] = [(float('-inf'), offset_at(start))]
    day = float(int(start))
    while day < end:
        following = min(day + DAY, end)
        if offset_at(following) != changes[-1][1]:
            low, high = day, following  # the offset at low is the old one, at high the new one
            while high - low > 1:
                middle = (low + high) // 2
                low, high = (middle, high) if offset_at(middle) == changes[-1][1] else (low, middle)
            changes.append((high, offset_at(high)))
        day = following
    return changes


def bucket_start(n: int, size: str) -> float | None:
    """The UTC time at which local bucket `n` starts: `n` counts local hours, days or weeks (Monday to Monday)
    from the local 1970-01-01 00:00, as the database numbers them (`(finished_at + offset) // size`). None for
    the hour the clocks skipped when they went forward: no moment falls in it."""
    if size == 'hour':
        local = datetime.combine(EPOCH_DAY, datetime.min.time()) + timedelta(hours=n)
    else:
        days = n * 7 - 3 if size == 'week' else n  # 1970-01-01 was a Thursday: week 0 starts on Monday 12-29
        local = datetime.combine(EPOCH_DAY + timedelta(days=days), datetime.min.time())
    start = time.mktime(local.timetuple())
    return start if datetime.fromtimestamp(start).replace(tzinfo=None) == local else None
