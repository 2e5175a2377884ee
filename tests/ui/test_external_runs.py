"""External runs (a script elsewhere reports into a job) on the job page and the dashboard, with the simulated user."""

from __future__ import annotations

import re

from nicegui import ElementFilter, ui
from nicegui.testing import User

from tests.helpers import until
from tests.ui.test_dashboard import rows_until

WHERE = {'host': 'build-box', 'pid': 4242, 'user': 'alice', 'command': 'rsync -a --info=progress2 src/ dst/'}


def open_run(service, **fields) -> dict:
    job, created = service.runs.open_run(**({'name': 'Back up photos', 'total': 100, 'unit': 'files'} | WHERE
                                           | fields))
    assert created
    return job


def text_of(user: User, marker: str) -> str:
    return user.find(marker=marker).elements.pop().text


def report_row_classes(user: User) -> list[str]:
    with user.client:
        label = next(iter(ElementFilter(marker='external-report')))
        return label.parent_slot.parent.classes


def marked(user: User, marker: str) -> bool:
    with user.client:
        return bool(list(ElementFilter(marker=marker)))


async def test_the_job_page_says_where_the_script_runs_and_how_long_ago_it_reported(user: User, service):
    job = open_run(service, lease_seconds=10)
    service.runs.report(job['id'], {'current': 40, 'message': 'IMG_0040.jpg'})
    await user.open(f"/jobs/{job['id']}")
    await user.should_see('Runs on build-box · pid 4242 · alice')
    await user.should_see('rsync -a --info=progress2 src/ dst/')
    await user.should_see('lease 10 s')
    await user.should_see('IMG_0040.jpg')
    assert text_of(user, 'external-report') == 'last report just now'
    assert 'muted' in report_row_classes(user)
    # it ticks, and past half the lease (5 s) without a report it turns orange
    await until(lambda: re.fullmatch(r'last report \d s ago', text_of(user, 'external-report')))
    await until(lambda: 'text-orange-9' in report_row_classes(user), timeout=15)
    # the lease runs out: the run fails, says why, and offers no retry (its script starts it again, not the app)
    await until(lambda: service.get(job['id'])['status'] == 'failed', timeout=15)
    await user.should_see('no report from host build-box pid 4242')  # drawn with the failed status's buttons
    assert marked(user, 'action-remove') and not marked(user, 'action-retry') and not marked(user, 'run-again')
    await until(lambda: text_of(user, 'external-report').startswith('last report at '))
    assert 'muted' in report_row_classes(user)  # an ended run is never late


async def test_a_checkpoint_resume_key_and_reattaching_script_show_on_the_card(user: User, service):
    job = open_run(service, resume_key='photos-2026-12-03')
    service.runs.report(job['id'], {'current': 3, 'checkpoint': {'next': 'IMG_0004.jpg'}})
    await user.open(f"/jobs/{job['id']}")
    await user.should_see('resume key photos-2026-12-03')
    await user.should_see('checkpoint {"next": "IMG_0004.jpg"}')
    # the script dies and is started again elsewhere with its key: the same job, now on the other host
    again, created = service.runs.open_run(name='Back up photos', resume_key='photos-2026-12-03', host='nas',
                                           pid=77, user='alice')
    assert (again['id'], created, again['attempts']) == (job['id'], False, 2)
    await user.should_see('Runs on nas · pid 77 · alice')
    with user.client:
        command = next(iter(ElementFilter(marker='external-command')))
    await until(lambda: not command.visible)  # the new start named no command


async def test_pause_says_pausing_until_the_script_has_stopped(user: User, service):
    job = open_run(service)
    await user.open(f"/jobs/{job['id']}")
    await user.should_see('Runs on build-box')
    user.find(marker='action-pause').click()
    await user.should_see('pausing…')
    await until(lambda: marked(user, 'action-resume'))  # taking the request back, before the script stops
    assert service.runs.report(job['id'], {})['control'] == 'pause'
    service.runs.report(job['id'], {'paused': True})
    await until(lambda: service.get(job['id'])['status'] == 'paused')
    await user.should_see('paused')
    await user.should_not_see('pausing…')
    user.find(marker='action-resume').click()
    await until(lambda: service.get(job['id'])['status'] == 'running')
    assert service.runs.report(job['id'], {})['control'] == 'run'


async def test_the_dashboard_row_names_the_host_and_says_pausing(user: User, service):
    job = open_run(service)
    await user.open('/')
    row = (await rows_until(user, lambda rows: len(rows) == 1))[0]
    assert (row['kind'], row['icon'], row['runs_on'], row['late']) == ('external', 'lan', 'on build-box', '')
    assert row['where'].startswith('build-box · pid 4242 · alice · rsync -a --info=progress2 src/ dst/ · last report')
    assert row['actions'] == ['pause', 'cancel', 'remove']
    service.runs.report(job['id'], {})  # nothing asked yet
    await user.should_see('Dashboard')
    service.pause(job['id'], wait=0)
    row = (await rows_until(user, lambda rows: rows[0]['status_text'] == 'pausing…'))[0]
    assert row['status'] == 'running' and row['actions'] == ['resume', 'cancel', 'remove']
    service.submit('demo', {'items': 1, 'item_seconds': 0}, name='in the app')
    await rows_until(user, lambda rows: len(rows) == 2)
    with user.client:
        kinds = next(iter(ElementFilter(kind=ui.select, content='All kinds')))
    kinds.set_value('external')  # the kind filter offers external runs, though New job does not
    await rows_until(user, lambda rows: [r['name'] for r in rows] == ['Back up photos'])


async def test_a_failed_external_run_offers_no_retry_anywhere(user: User, service):
    job = open_run(service)
    service.runs.report(job['id'], {'done': True, 'exit_code': 3})
    await user.open('/')
    row = (await rows_until(user, lambda rows: rows and rows[0]['status'] == 'failed'))[0]
    assert row['actions'] == ['remove']
    await user.open(f"/jobs/{job['id']}")
    await user.should_see('exit code 3')
    assert marked(user, 'action-remove') and not marked(user, 'action-retry') and not marked(user, 'run-again')
