"""Crontab expressions as people write them, for APScheduler 3.

APScheduler 3's `CronTrigger.from_crontab` numbers weekdays from Monday = 0, unlike cron (Sunday = 0 or 7):
`0 9 * * 1-5` would run Tuesday to Saturday. Weekday numbers are therefore translated to names here.
"""

from __future__ import annotations

import re

WEEKDAYS = ('sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun')
FIELDS = ('minute', 'hour', 'day', 'month', 'day_of_week')
_NUMBER = re.compile(r'\d+')


def weekday_names(field: str) -> str:
    """'1-5' → 'mon-fri', '0,6' → 'sun,sat', '*/2' stays; names pass through. Raises ValueError for 8+."""
    def name(match: re.Match[str]) -> str:
        number = int(match.group())
        if number > 7:
            raise ValueError(f'day of week {number} does not exist (0-7, where 0 and 7 are Sunday)')
        return WEEKDAYS[number]

    parts = []
    for part in field.split(','):
        base, slash, step = part.partition('/')
        base = _NUMBER.sub(name, base)
        if base.endswith('-sun') and not base.startswith('sun'):  # 1-7 → mon-sun
            base = base[:-3] + 'sun'
        parts.append(base + slash + step)
    return ','.join(parts)


def crontab_fields(expr: str) -> dict[str, str]:
    """The five fields of a crontab line as CronTrigger keyword arguments; raises ValueError with the reason."""
    fields = expr.split()
    if len(fields) != 5:
        raise ValueError(f'a cron expression has 5 fields (minute hour day month weekday), not {len(fields)}: '
                         f"'{expr}'")
    values = dict(zip(FIELDS, fields, strict=True))
    values['day_of_week'] = weekday_names(values['day_of_week'])
    return values
