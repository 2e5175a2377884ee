"""Local-time buckets for the history charts, in a zone with daylight-saving time (Europe/Berlin)."""

from __future__ import annotations

import time
from datetime import datetime

from progress_app.domain import localtime


def local(*fields: int) -> float:
    """The UTC time of a local wall-clock time (year, month, day, hour, minute)."""
    return time.mktime((*fields, *(0,) * (6 - len(fields)), 0, 0, -1))


def utc(moment: float) -> str:
    return time.strftime('%Y-%m-%d %H:%M', time.gmtime(moment))


def test_offsets_name_each_change_to_the_second(berlin):
    changes = localtime.offsets(local(2026, 1, 1), local(2026, 12, 31))
    assert [(utc(at) if at > 0 else at, offset) for at, offset in changes] == [
        (float('-inf'), 3600), ('2026-03-29 01:00', 7200), ('2026-10-25 01:00', 3600)]
    assert localtime.offsets(local(2026, 5, 1), local(2026, 6, 1)) == [(float('-inf'), 7200)]


def test_day_buckets_start_at_local_midnight_on_both_sides_of_a_change(berlin):
    first = int((local(2026, 3, 28) + 3600) // 86400)  # the day number the database gives a CET midnight
    starts = [localtime.bucket_start(n, 'day') for n in range(first, first + 3)]
    assert [datetime.fromtimestamp(s).strftime('%d %H:%M') for s in starts] == ['28 00:00', '29 00:00', '30 00:00']
    assert starts[2] - starts[1] == 23 * 3600  # the day the clocks went forward


def test_the_hour_the_clocks_skipped_has_no_bucket(berlin):
    one = int((local(2026, 3, 29, 1) + 3600) // 3600)
    assert [localtime.bucket_start(n, 'hour') is None for n in (one, one + 1, one + 2)] == [False, True, False]


def test_week_and_hour_buckets(berlin):
    monday = localtime.bucket_start(int((local(2026, 10, 28) + 3600) // 86400 + 3) // 7, 'week')
    assert datetime.fromtimestamp(monday).strftime('%a %d %H:%M') == 'Mon 26 00:00'
    hour = localtime.bucket_start(int((local(2026, 7, 1, 15) + 7200) // 3600), 'hour')
    assert datetime.fromtimestamp(hour).strftime('%d %H:%M') == '01 15:00'
