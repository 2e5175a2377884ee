"""Time limit and retries in the UI (issue 17, items 1 and 2): the new-job form's section, a waiting retry on the
dashboard row and the job page, and the failed tries in the job's history."""

from __future__ import annotations

import time
from datetime import datetime

from nicegui import ElementFilter, ui
from nicegui.testing import User

from progress_app.runtime.service import JobService
from progress_app.ui import rows
from progress_app.ui.components.event_history import event_detail
from tests.helpers import until
from tests.ui.test_dashboard import rows_until

FAILING = {'items': 3, 'item_seconds': 0, 'fail_at_item': 1, 'fail_times': 100}


def number(user: User, label: str) -> ui.number:
    with user.client:
        return next(e for e in ElementFilter(kind=ui.number) if e.props.get('label') == label)


async def test_the_form_gives_a_job_its_time_limit_and_retries(user: User, service: JobService):
    await user.open('/new?kind=demo')
    await user.should_see('Time limit and retries')
    number(user, 'Items').value = 3
    number(user, 'Item seconds').value = 0
    number(user, 'Time limit (seconds)').value = 90
    number(user, 'Retries').value = 2
    number(user, 'First retry after (seconds)').value = 5
    user.find('Start job').click()
    await user.should_see('Progress over time')
    job = service.list()['items'][0]
    assert job['options'].items() >= {'timeout_seconds': 90, 'retries': 2, 'retry_delay_seconds': 5}.items()


async def test_left_as_they_are_the_fields_add_nothing(user: User, service: JobService):
    await user.open('/new?kind=demo')
    number(user, 'Items').value = 1
    number(user, 'Item seconds').value = 0
    user.find('Start job').click()
    await user.should_see('Progress over time')
    options = service.list()['items'][0]['options']
    assert not {'timeout_seconds', 'retries', 'retry_delay_seconds'} & set(options)


async def test_bad_values_are_shown_under_their_fields(user: User, service: JobService):
    await user.open('/new?kind=demo')
    number(user, 'Time limit (seconds)').value = -5
    number(user, 'Retries').value = 101
    user.find('Start job').click()
    await user.should_see('Please correct the fields marked in red.')
    assert number(user, 'Time limit (seconds)').error == 'Input should be greater than 0'
    assert number(user, 'Retries').error == 'Input should be less than or equal to 100'
    assert service.list()['total'] == 0


async def test_a_schedule_from_the_form_keeps_them(user: User, service: JobService):
    await user.open('/new?kind=demo')
    user.find('Repeat').click()
    user.find('Every N minutes').click()
    number(user, 'Every (minutes)').value = 15
    number(user, 'Retries').value = 3
    number(user, 'Time limit (seconds)').value = 600
    user.find('Create schedule').click()
    await until(lambda: len(service.schedules.list()) == 1)
    schedule = service.schedules.list()[0]
    assert (schedule['retries'], schedule['timeout_seconds'], schedule['retry_delay_seconds']) == (3, 600, 10)
    await user.should_see('time limit 10 min · 3 retries', retries=50)  # on the schedules page


async def test_a_waiting_retry_on_the_job_page(user: User, service: JobService):
    job = service.submit('demo', FAILING, options={'retries': 3, 'retry_delay_seconds': 3600})
    await until(lambda: service.get(job['id'])['status'] == 'scheduled')
    await user.open(f"/jobs/{job['id']}")
    await user.should_see('Attempt 1 failed')
    await user.should_see('retry 1 of 3 at')
    await user.should_see(marker='action-start')  # it can be started at once, or cancelled
    await user.should_see(marker='action-cancel')


async def test_a_waiting_retry_on_the_dashboard(user: User, service: JobService):
    job = service.submit('demo', FAILING, options={'retries': 3, 'retry_delay_seconds': 3600})
    await until(lambda: service.get(job['id'])['status'] == 'scheduled')
    await user.open('/')
    rows = await rows_until(user, lambda rows: rows and rows[0]['status'] == 'scheduled')
    assert rows[0]['timing'].startswith('retry 1 of 3 at ')
    assert rows[0]['message'].startswith('RuntimeError: simulated failure at item 1')  # why the try failed
    assert 'start' in rows[0]['actions'] and 'cancel' in rows[0]['actions']


def test_a_waiting_retry_on_its_row():
    now = time.time()
    at = datetime.fromtimestamp(now).astimezone()
    job = {'status': 'scheduled', 'retry': {'number': 2, 'of': 3, 'at': at.isoformat()}, 'run_at': at.isoformat(),
           'error': 'CommandFailed: exit code 1', 'message': 'item 1 of 3', 'unit': 'items', 'current': 0,
           'total': 3}
    assert rows.retry_text(job['retry'], now=now) == f"retry 2 of 3 at {at.strftime('%H:%M')}"
    assert rows.timing_text(job).startswith('retry 2 of 3 at ')
    later = datetime.fromtimestamp(now + 86400 * 2).astimezone()
    assert rows.retry_text({'number': 1, 'of': 1, 'at': later.isoformat()}, now=now) == (
        f"retry 1 of 1 at {later.strftime('%Y-%m-%d %H:%M')}")
    assert rows.retry_text({'number': 1, 'of': 1, 'at': None}) == 'retry 1 of 1'


def test_a_failed_try_in_the_history():
    at = time.time()
    event = {'type': 'attempt_failed', 'at': at, 'data': {'error': 'CommandFailed: exit code 1', 'attempt': 1,
                                                          'retry': 1, 'retries': 2, 'retry_at': at + 60}}
    assert event_detail(event) == (f"CommandFailed: exit code 1 · retry 1 of 2 at "
                                   f"{time.strftime('%H:%M:%S', time.localtime(at + 60))}")
