from __future__ import annotations

from datetime import datetime

import pytest
from apscheduler.triggers.cron import CronTrigger

from progress_app.domain.cron import crontab_fields, weekday_names


@pytest.mark.parametrize(('field', 'names'), [
    ('1-5', 'mon-fri'), ('0', 'sun'), ('7', 'sun'), ('0,6', 'sun,sat'), ('*', '*'), ('*/2', '*/2'),
    ('mon-fri', 'mon-fri'), ('1-7', 'mon-sun'), ('1-5/2', 'mon-fri/2'),
])
def test_weekday_numbers_mean_what_cron_means(field, names):
    assert weekday_names(field) == names


def test_weekdays_only_really_means_monday_to_friday():
    trigger = CronTrigger(**crontab_fields('0 9 * * 1-5'), timezone='UTC')
    saturday = datetime.fromisoformat('2026-11-21T10:00:00+00:00')
    fire = trigger.get_next_fire_time(None, saturday)
    assert fire.strftime('%A %H:%M') == 'Monday 09:00'


@pytest.mark.parametrize(('expr', 'says'), [
    ('* * * *', '5 fields'), ('0 9 * * 8', 'does not exist'), ('', '5 fields'),
])
def test_bad_expressions_say_why(expr, says):
    with pytest.raises(ValueError, match=says):
        crontab_fields(expr)
