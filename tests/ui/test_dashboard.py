"""The dashboard with NiceGUI's simulated user (no browser)."""

from __future__ import annotations

import sqlite3

from nicegui import ElementFilter, ui
from nicegui.testing import User


def table_rows(user: User) -> list[dict]:
    with user.client:  # hidden tables too: an empty result hides the table behind the empty state
        return next(iter(ElementFilter(kind=ui.table))).rows


async def rows_until(user: User, condition, timeout: float = 10.0) -> list[dict]:
    """Let the page's refresh timer run until the table rows satisfy `condition`."""
    import asyncio
    import time

    deadline = time.monotonic() + timeout
    while True:
        rows = table_rows(user)
        if condition(rows):
            return rows
        if time.monotonic() > deadline:
            raise AssertionError(f'table rows never matched; last: {rows}')
        await asyncio.sleep(0.05)


async def test_empty_dashboard_invites_to_start(user: User):
    await user.open('/')
    await user.should_see('Dashboard')
    await user.should_see('No jobs yet — start one')
    await user.should_see('Start a job')


async def test_jobs_appear_with_status_progress_and_actions(user: User, service):
    service.submit('demo', {'items': 3, 'item_seconds': 0}, name='quick one')
    job = service.submit('demo', {'items': 500, 'item_seconds': 0.02}, name='slow one')
    await user.open('/')
    rows = await rows_until(user, lambda rows: {r['name'] for r in rows} == {'quick one', 'slow one'}
                            and any(r['status'] == 'running' for r in rows))
    slow = next(r for r in rows if r['name'] == 'slow one')
    assert slow['actions'] == ['pause', 'cancel', 'remove']
    assert slow['stage_text'].startswith(('1/3', '2/3'))
    await user.should_see('1–2 of 2 jobs')
    service.cancel(job['id'])
    rows = await rows_until(user, lambda rows: any(r['status'] == 'cancelled' for r in rows))
    assert next(r for r in rows if r['name'] == 'slow one')['actions'] == ['retry', 'remove']


async def test_search_and_status_filter(user: User, service):
    service.submit('demo', {'items': 1, 'item_seconds': 0}, name='alpha')
    done = service.submit('demo', {'items': 1, 'item_seconds': 0}, name='beta')
    service.wait(done['id'], ['completed'])
    await user.open('/')
    await rows_until(user, lambda rows: len(rows) == 2)
    user.find('Search name or #id').type('beta')
    await rows_until(user, lambda rows: [r['name'] for r in rows] == ['beta'])
    user.find('Search name or #id').clear()
    user.find(ui.toggle).elements.pop().value = 'Failed'
    await rows_until(user, lambda rows: rows == [])
    await user.should_see('No jobs match')


async def test_pause_and_resume_from_a_row(user: User, service):
    job = service.submit('demo', {'items': 500, 'item_seconds': 0.02}, name='pausable')
    service.wait(job['id'], ['running'])
    await user.open('/')
    await rows_until(user, lambda rows: rows and rows[0]['status'] == 'running')
    # What the row's pause button emits in the browser:
    user.find(ui.table).trigger('act', {'id': job['id'], 'action': 'pause'})
    rows = await rows_until(user, lambda rows: rows[0]['status'] == 'paused')
    assert rows[0]['actions'] == ['resume', 'cancel', 'remove']
    assert service.get(job['id'])['status'] == 'paused'
    await user.should_see(f"Job #{job['id']} paused")
    user.find(ui.table).trigger('act', {'id': job['id'], 'action': 'resume'})
    await rows_until(user, lambda rows: rows[0]['status'] == 'running')


async def test_bulk_cancel(user: User, service):
    jobs = [service.submit('demo', {'items': 500, 'item_seconds': 0.02}, name=f'bulk {i}') for i in range(3)]
    await user.open('/')
    await rows_until(user, lambda rows: len(rows) == 3)
    table = user.find(ui.table).elements.pop()
    picked = [r for r in table.rows if r['name'] in ('bulk 0', 'bulk 1')]  # ticking two checkboxes:
    user.find(ui.table).trigger('selection', {'rows': picked, 'keys': [r['id'] for r in picked], 'added': True})
    await user.should_see('2 selected')
    user.find(marker='bulk-cancel').click()
    rows = await rows_until(user, lambda rows: sum(r['status'] == 'cancelled' for r in rows) == 2)
    assert {r['name'] for r in rows if r['status'] == 'cancelled'} == {'bulk 0', 'bulk 1'}
    service.cancel(jobs[2]['id'])


async def test_bulk_offers_what_the_selected_jobs_allow_and_pauses_and_resumes_them(user: User, service):
    jobs = [service.submit('demo', {'items': 1000, 'item_seconds': 0.02}, name=f'many {i}') for i in range(2)]
    for job in jobs:
        service.wait(job['id'], ['running'])
    await user.open('/')
    await rows_until(user, lambda rows: [r['status'] for r in rows] == ['running', 'running'])

    def select_all() -> None:
        rows = table_rows(user)
        user.find(ui.table).trigger('selection', {'rows': rows, 'keys': [r['id'] for r in rows], 'added': True})

    select_all()
    await user.should_see('2 selected')
    await user.should_not_see(marker='bulk-resume')
    await user.should_not_see(marker='bulk-retry')
    user.find(marker='bulk-pause').click()
    await rows_until(user, lambda rows: [r['status'] for r in rows] == ['paused', 'paused'])
    await user.should_not_see('2 selected')  # the selection is done with
    select_all()
    await user.should_not_see(marker='bulk-pause')
    user.find(marker='bulk-resume').click()
    await rows_until(user, lambda rows: [r['status'] for r in rows] == ['running', 'running'])
    for job in jobs:
        service.cancel(job['id'])


async def test_running_jobs_stay_on_the_first_page_under_a_long_queue(user: User, service):
    running = [service.submit('demo', {'items': 1000, 'item_seconds': 0.02}, name=f'busy {i}') for i in range(2)]
    for job in running:
        service.wait(job['id'], ['running'])
    queued = [service.submit('demo', {'items': 1, 'item_seconds': 0}, name=f'waiting {i}') for i in range(30)]
    await user.open('/')
    rows = await rows_until(user, lambda rows: len(rows) == 25)
    assert [r['name'] for r in rows[:2]] == ['busy 1', 'busy 0']  # then the newest of the rest
    assert [r['name'] for r in rows[2:4]] == ['waiting 29', 'waiting 28']
    for job in queued + running:  # the waiting first, or they would run
        service.cancel(job['id'])


async def test_a_damaged_job_is_named_with_its_problem_and_can_be_removed(user: User, service, data_dir):
    good = service.submit('demo', {'items': 1, 'item_seconds': 0}, name='fine')
    service.wait(good['id'], ['completed'])
    with sqlite3.connect(data_dir / 'progress.db') as db:  # a copy of its row with params that are not JSON
        columns = [c[1] for c in db.execute('PRAGMA table_info(job)') if c[1] != 'id']
        db.execute(f"INSERT INTO job ({', '.join(columns)}) SELECT {', '.join(columns)} FROM job WHERE id = ?",
                   (good['id'],))
        damaged = db.execute('SELECT max(id) FROM job').fetchone()[0]
        db.execute("UPDATE job SET params = '{oops', name = 'broken' WHERE id = ?", (damaged,))
    await user.open('/')
    await user.should_see('1 job(s) on this page could not be read from the database')
    await user.should_see(f'#{damaged} broken: job {damaged}: the stored row is not valid (params is not JSON')
    assert [r['name'] for r in table_rows(user)] == ['fine']
    user.find(marker=f'remove-damaged-{damaged}').click()
    await user.should_not_see('could not be read from the database')
    assert service.list()['total'] == 1


async def test_a_job_being_cancelled_says_it_waits_for_its_next_check_point(user: User, service, tmp_path):
    from tests import fixture_kinds  # noqa: F401  (registers t_stuck: a sleep that never calls ctx.check())

    release = tmp_path / 'release'
    try:
        job = service.submit('t_stuck', {'release': str(release)}, name='sound asleep')
        service.wait(job['id'], ['running'])
        await user.open('/')
        await rows_until(user, lambda rows: rows and rows[0]['status'] == 'running')
        user.find(ui.table).trigger('act', {'id': job['id'], 'action': 'cancel'})
        rows = await rows_until(user, lambda rows: rows[0]['status'] == 'cancelling')
        assert rows[0]['timing'].startswith('waiting ') and "for the job's next check point" in rows[0]['timing']
        assert rows[0]['actions'] == ['remove'] and rows[0]['color'] != 'grey'
    finally:
        release.touch()
    await rows_until(user, lambda rows: rows[0]['status'] == 'completed')
