"""The schedules page and the new-job form's "When" with NiceGUI's simulated user."""

from __future__ import annotations

import time
from datetime import datetime

import pytest
from nicegui import ElementFilter, ui
from nicegui.testing import User

from progress_app.errors import InvalidParams
from progress_app.runtime.service import JobService
from progress_app.ui.components.when import cron_words
from progress_app.ui.pages.schedules import local_time, when_text
from tests.helpers import until

DEMO = {'items': 2, 'item_seconds': 0}



def element(user: User, kind: type, label: str):
    with user.client:
        return next(e for e in ElementFilter(kind=kind) if e.props.get('label') == label)


def test_when_text_and_local_time():
    assert when_text({'cron': '30 2 * * 1-5'}) == 'cron 30 2 * * 1-5'
    assert when_text({'interval_seconds': 900}) == 'every 15 min'
    at = datetime(2030, 3, 1, 14, 30).astimezone()
    assert when_text({'run_at': at.isoformat()}) == 'once at 2030-03-01 14:30'
    assert local_time(None) == '—'


def test_cron_lines_in_words():
    assert cron_words('30 2 * * 1-5') == 'At 02:30, Monday through Friday'  # cron's weekdays: 0 and 7 are Sunday
    assert cron_words('0 3 * * 7') == 'At 03:00, only on Sunday'
    assert cron_words('*/15 * * * *') == 'Every 15 minutes'
    for unschedulable in ('61 * * * *', '* * * * * *', 'nonsense', ''):
        assert cron_words(unschedulable) == ''


async def test_page_lists_a_schedule_and_pause_resume_delete_work(user: User, service: JobService):
    schedules = service.schedules
    await user.open('/schedules')
    await user.should_see(marker='schedules-empty')
    made = schedules.create({'kind': 'demo', 'params': DEMO, 'name': 'nightly demo', 'cron': '30 2 * * *'})
    sid = made['id']
    await user.should_see('nightly demo', retries=50)
    await user.should_see('cron 30 2 * * *')
    await user.should_see('At 02:30')
    await user.should_see(local_time(made['next_run_at']))

    user.find(marker=f'pause-{sid}').click()
    await until(lambda: schedules.get(sid)['paused'])
    await user.should_see(marker=f'resume-{sid}')
    await user.should_see('paused')

    user.find(marker=f'resume-{sid}').click()
    await until(lambda: not schedules.get(sid)['paused'])
    await user.should_see(marker=f'pause-{sid}')

    user.find(marker=f'delete-{sid}').click()
    await user.should_see('Delete the schedule nightly demo?')
    user.find(marker='confirm-delete').click()
    await until(lambda: not schedules.list())
    await user.should_see(marker='schedules-empty')


async def test_schedules_is_in_the_navigation(user: User):
    await user.open('/')
    user.find('Schedules').click()
    await user.should_see('No schedules yet')


async def test_new_schedule_opens_the_form_set_to_repeat(user: User, service: JobService):
    await user.open('/schedules')
    user.find('New schedule').click()
    await user.should_see('Cron line')  # shown for "Repeat" only
    assert element(user, ui.radio, None).value == 'repeat'
    user.find(marker='kind-demo').click()  # the first kind, batch, needs a folder
    element(user, ui.input, 'Cron line').value = '0 4 * * *'
    user.find('Create schedule').click()
    await until(lambda: len(service.schedules.list()) == 1)
    assert service.schedules.list()[0]['cron'] == '0 4 * * *'


async def test_form_creates_a_job_that_waits_for_its_time(user: User, service: JobService):
    await user.open('/new?kind=demo')
    user.find('At a time').click()
    later = datetime.fromtimestamp(time.time() + 2 * 3600)
    element(user, ui.input, 'Date').value = later.strftime('%Y-%m-%d')
    element(user, ui.input, 'Time').value = later.strftime('%H:%M')
    user.find('Schedule job').click()
    await until(lambda: service.list()['total'] == 1)
    job = service.list()['items'][0]
    assert job['status'] == 'scheduled'
    assert job['run_at'] is not None
    run_at = datetime.fromisoformat(job['run_at']).astimezone()
    assert run_at.strftime('%Y-%m-%d %H:%M') == later.strftime('%Y-%m-%d %H:%M')


async def test_form_refuses_a_time_that_has_passed(user: User, service: JobService):
    await user.open('/new?kind=demo')
    user.find('At a time').click()
    element(user, ui.input, 'Date').value = '2001-01-01'
    element(user, ui.input, 'Time').value = '10:00'
    user.find('Schedule job').click()
    await until(lambda: element(user, ui.input, 'Time').error == 'That time has passed')
    assert service.list()['total'] == 0


async def test_form_creates_a_cron_schedule(user: User, service: JobService):
    await user.open('/new?kind=demo')
    user.find('Name (optional)').type('weekday demo')
    user.find('Repeat').click()
    element(user, ui.input, 'Cron line').value = '30 2 * * 1-5'
    assert element(user, ui.input, 'Cron line').props['hint'] == 'At 02:30, Monday through Friday'
    user.find('Notify me when it ends').click()
    user.find('Create schedule').click()
    await until(lambda: len(service.schedules.list()) == 1)
    schedule = service.schedules.list()[0]
    assert schedule['name'] == 'weekday demo' and schedule['cron'] == '30 2 * * 1-5'
    assert schedule['notify'] is True  # every job it creates will notify
    assert schedule['kind'] == 'demo' and not schedule['paused']
    await user.should_see('cron 30 2 * * 1-5', retries=50)  # the schedules page opened
    await user.should_see(marker=f"notify-{schedule['id']}")  # the bell: its jobs will notify
    assert service.list()['total'] == 0


async def test_form_creates_an_interval_schedule(user: User, service: JobService):
    await user.open('/new?kind=demo')
    user.find('Repeat').click()
    user.find('Every N minutes').click()
    element(user, ui.number, 'Every (minutes)').value = 15
    assert element(user, ui.select, 'If the last run is still going').value == 'skip'  # the default
    element(user, ui.select, 'If the last run is still going').value = 'queue'
    user.find('Create schedule').click()
    await until(lambda: len(service.schedules.list()) == 1)
    assert service.schedules.list()[0]['interval_seconds'] == 900
    assert service.schedules.list()[0]['notify'] is None  # not ticked: the settings decide
    assert service.schedules.list()[0]['overlap'] == 'queue'
    await user.should_see('If still going: queue one run after it', retries=50)  # on the schedules page


async def test_bad_cron_shows_the_message_and_creates_nothing(user: User, service: JobService):
    await user.open('/new?kind=demo')
    user.find('Repeat').click()
    element(user, ui.input, 'Cron line').value = '61 * * *'
    user.find('Create schedule').click()
    await until(lambda: element(user, ui.input, 'Cron line').error)
    assert '5 fields' in element(user, ui.input, 'Cron line').error
    await user.should_see('Please correct the fields marked in red.')
    assert service.schedules.list() == [] and service.list()['total'] == 0


async def test_form_starts_a_job_after_another(user: User, service: JobService):
    first = service.submit('demo', {'items': 1, 'item_seconds': 0}, run_at=time.time() + 3600)
    await user.open('/new?kind=demo')
    user.find('After a job').click()
    element(user, ui.number, 'After job #').value = first['id']
    user.find('Schedule job').click()
    await until(lambda: service.list()['total'] == 2)
    waiting = next(j for j in service.list()['items'] if j['id'] != first['id'])
    assert waiting['status'] == 'scheduled'


async def test_commands_switched_off_are_refused(user: User, service: JobService):
    service.update_preferences(allow_commands=False)
    with pytest.raises(InvalidParams) as refused:
        service.submit('command', {'command': 'true'})
    assert refused.value.errors[0]['loc'] == ['kind']
    assert 'switched off' in refused.value.errors[0]['msg']
    with pytest.raises(InvalidParams) as refused:
        service.schedules.create({'kind': 'command', 'params': {'command': 'true'}, 'cron': '* * * * *'})
    assert refused.value.errors[0]['loc'] == ['kind']
    assert service.list()['total'] == 0 and service.schedules.list() == []

    await user.open('/new?kind=command')
    await user.should_see('What to run')
    await user.should_not_see('Shell command')
    await user.should_not_see(marker='kind-command')

    service.update_preferences(allow_commands=True)
    assert service.submit('command', {'command': 'true'})['kind'] == 'command'


async def test_a_run_that_started_no_job_is_shown_with_the_reason(user: User, service: JobService):
    schedules = service.schedules
    schedule = schedules.create({'kind': 'command', 'params': {'command': 'true'}, 'interval_seconds': 1,
                                 'name': 'tick'})
    service.update_preferences(allow_commands=False)
    await until(lambda: schedules.get(schedule['id'])['last_error'])
    await user.open('/schedules')
    await user.should_see(marker=f"error-{schedule['id']}")
    await user.should_see('The last run started no job: shell commands are switched off', retries=20)


async def test_run_now_opens_the_new_job_or_says_why_not(user: User, service: JobService):
    schedules = service.schedules
    demo = schedules.create({'kind': 'demo', 'params': DEMO, 'name': 'on demand', 'cron': '30 2 * * *'})
    shell = schedules.create({'kind': 'command', 'params': {'command': 'true'}, 'name': 'shell', 'cron': '0 1 * * *'})
    await user.open('/schedules')
    await user.should_see(marker=f"run-{demo['id']}")
    user.find(marker=f"run-{demo['id']}").click()
    await until(lambda: service.list()['total'] == 1)
    job = service.list()['items'][0]
    assert job['schedule_id'] == demo['id'] and job['name'] == 'on demand'
    await user.should_see(f"#{job['id']} · demo")  # its page opened
    service.update_preferences(allow_commands=False)
    await user.open('/schedules')
    await user.should_see(marker=f"run-{shell['id']}")
    user.find(marker=f"run-{shell['id']}").click()
    await user.should_see('shell commands are switched off', retries=20)
    assert service.list()['total'] == 1
    service.update_preferences(allow_commands=True)
