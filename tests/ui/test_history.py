"""The history page and the aggregates behind it, with NiceGUI's simulated user (no browser)."""

from __future__ import annotations

import asyncio
import sys
import time
from collections.abc import Callable
from datetime import date, datetime, timedelta
from datetime import time as clock
from pathlib import Path
from typing import Any

import pytest
from nicegui import ElementFilter, ui
from nicegui.testing import User

from progress_app.runtime.service import JobService
from tests.helpers import until

PLUGIN = """
from progress_app import JobContext, job_kind


@job_kind('h_resize', title='Resize (history test)')
def resize(ctx: JobContext, count: int = 0) -> dict:
    return {'count': count}
"""


@pytest.fixture
def plugins(data_dir: Path) -> None:
    """A second kind, as a plugin the app loads at start-up (request before `user`)."""
    (data_dir / 'plugins').mkdir(parents=True)
    (data_dir / 'plugins' / 'history_kinds.py').write_text(PLUGIN)


def noon(days_ago: int) -> float:
    return datetime.combine(date.today() - timedelta(days=days_ago), clock(12)).timestamp()


def midnight(days_ago: int) -> float:
    return datetime.combine(date.today() - timedelta(days=days_ago), clock()).timestamp()



async def finish(service: JobService, kind: str, params: dict, *, name: str, finished_at: float, elapsed: float,
                 status: str = 'completed') -> int:
    """Run a job to its end, then place it on a known day with a known running time."""
    job_id = service.submit(kind, params, name=name)['id']
    if status == 'cancelled':
        await until(lambda: service.get(job_id)['status'] == 'running')
        service.cancel(job_id)
    await until(lambda: service.get(job_id)['status'] == status)
    service._engine.recorder.flush()  # nothing written behind may land after our values
    service._engine.repo.save(job_id, {'finished_at': finished_at, 'started_at': finished_at - 3600,
                                       'elapsed': elapsed})
    return job_id


async def known_jobs(service: JobService) -> dict[str, int]:
    quick, failing, slow = {'items': 1, 'item_seconds': 0}, {'items': 2, 'item_seconds': 0, 'fail_at_item': 1}, \
        {'items': 10_000, 'item_seconds': 0.01}
    return {
        'a': await finish(service, 'demo', quick, name='alpha', finished_at=noon(2), elapsed=10),
        'b': await finish(service, 'demo', quick, name='bravo', finished_at=noon(2) + 60, elapsed=30),
        'c': await finish(service, 'demo', failing, name='charlie', finished_at=noon(2) + 120, elapsed=5,
                          status='failed'),
        'd': await finish(service, 'demo', quick, name='delta', finished_at=noon(1), elapsed=192),
        'e': await finish(service, 'h_resize', {'count': 0}, name='echo', finished_at=noon(1) + 60, elapsed=2),
        'f': await finish(service, 'demo', slow, name='foxtrot', finished_at=time.time() - 60, elapsed=1,
                          status='cancelled'),
        'old': await finish(service, 'demo', quick, name='ancient', finished_at=noon(40), elapsed=99),
    }


def the(kind: type, user: User, marker: str | None = None) -> Any:
    with user.client:
        return next(iter(ElementFilter(kind=kind, marker=marker)))


def charts(user: User) -> list[dict[str, Any]]:
    with user.client:
        return [chart.options for chart in ElementFilter(kind=ui.echart)]


async def rows_until(user: User, condition: Callable[[list[dict]], bool], timeout: float = 10.0) -> list[dict]:
    deadline = time.monotonic() + timeout
    while not condition(rows := the(ui.table, user).rows):
        if time.monotonic() > deadline:
            raise AssertionError(f'table rows never matched; last: {rows}')
        await asyncio.sleep(0.02)
    return rows


async def test_empty_history_says_so(user: User):
    await user.open('/history')
    await user.should_see('No finished jobs yet')
    await user.should_see('Start a job')


async def test_stats_are_aggregated_per_day_kind_and_duration(plugins, user: User, service: JobService):
    await known_jobs(service)
    history = service.history(time.time() - 30 * 86400)
    starts = history['starts']
    assert starts[-1] == midnight(0) and starts[-2] == midnight(1) and starts[-3] == midnight(2)
    counts = history['counts']
    assert [counts[s][-3] for s in ('completed', 'failed', 'cancelled')] == [2, 1, 0]
    assert [counts[s][-2] for s in ('completed', 'failed', 'cancelled')] == [2, 0, 0]
    assert [counts[s][-1] for s in ('completed', 'failed', 'cancelled')] == [0, 0, 1]
    assert sum(sum(values) for values in counts.values()) == 6  # the 40-day-old job is out of range
    assert history['totals'] | {'seconds': 0} == {'completed': 4, 'failed': 1, 'cancelled': 1, 'finished': 6,
                                                  'success_rate': 0.8, 'seconds': 0}
    demo, files = history['kinds']
    assert (demo['kind'], demo['completed'], demo['failed'], demo['cancelled']) == ('demo', 3, 1, 1)
    assert demo['success_rate'] == 0.75 and files['success_rate'] == 1.0
    assert demo['mean'] == pytest.approx(232 / 3) and demo['p50'] == 30 and demo['p95'] == 192
    assert demo['max'] == 192 and files['mean'] == 2
    everything = service.history(None, 'demo')
    assert everything['totals']['finished'] == 6 and len(everything['starts']) == 41
    day_ago = time.time() - 86400  # before noon, yesterday's noon is less than 24 hours ago
    in_last_day = 1 + sum(at >= day_ago for at in (noon(1), noon(1) + 60))
    assert service.history(day_ago, bucket='hour')['totals']['finished'] == in_last_day

    await user.open('/history')
    the(ui.toggle, user).value = '30 days'  # the range toggle comes first
    await until(lambda: charts(user)[0].get('series') and sum(charts(user)[0]['series'][0]['data']) == 4)
    per_day, success, durations = charts(user)
    assert [s['data'][-3:] for s in per_day['series']] == [[2, 2, 0], [1, 0, 0], [0, 0, 1]]
    assert success['yAxis']['data'] == ['demo', 'h_resize']
    assert [d['value'] for d in success['series'][0]['data']] == [75.0, 100.0]
    assert {s['name']: s['data'] for s in durations['series']} == {
        'Median': [30, 2], 'Average': [pytest.approx(77.333, abs=0.001), 2], '95th percentile': [192, 2]}
    await user.should_see('80 %')  # overall success rate


async def test_table_lists_finished_jobs_with_durations_and_filters(plugins, user: User, service: JobService):
    ids = await known_jobs(service)
    running = service.submit('demo', {'items': 10_000, 'item_seconds': 0.01}, name='still running')
    await user.open('/history')
    rows = await rows_until(user, lambda rows: len(rows) == 6)  # default range: 7 days, newest first
    assert [r['name'] for r in rows] == ['foxtrot', 'echo', 'delta', 'charlie', 'bravo', 'alpha']
    delta = next(r for r in rows if r['name'] == 'delta')
    assert delta['duration'] == '3 min 12 s'  # active running time, not finished - started (1 h)
    assert delta['finished'].startswith('yesterday') and delta['status'] == 'completed'
    charlie = next(r for r in rows if r['name'] == 'charlie')
    assert 'simulated failure at item 1' in charlie['error'] and charlie['attempts'] == 1

    the(ui.toggle, user).value = 'All'
    await rows_until(user, lambda rows: len(rows) == 7)
    user.find(marker='card-failed').click()  # the summary card filters the table
    rows = await rows_until(user, lambda rows: [r['name'] for r in rows] == ['charlie'])
    user.find('Search name, error or #id').type('nothing like this')
    await rows_until(user, lambda rows: rows == [])
    user.find('Search name, error or #id').clear()
    await rows_until(user, lambda rows: [r['name'] for r in rows] == ['charlie'])
    with user.client:
        status_toggle = list(ElementFilter(kind=ui.toggle))[1]
    status_toggle.value = 'All'
    await rows_until(user, lambda rows: len(rows) == 7)
    the(ui.select, user).value = 'h_resize'
    rows = await rows_until(user, lambda rows: [r['name'] for r in rows] == ['echo'])
    the(ui.select, user).value = None
    user.find('Search name, error or #id').type(f"#{ids['a']}")
    await rows_until(user, lambda rows: [r['name'] for r in rows] == ['alpha'])

    user.find(ui.table).trigger('rowClick', ids['a'])
    await user.should_see('Follow')  # the job page (its log)
    service.cancel(running['id'])


async def test_a_failed_command_shows_its_exit_code_as_the_error(user: User, service: JobService):
    command = [sys.executable, '-c', 'import sys; print("hi"); sys.exit(3)']
    job_id = service.submit('command', {'command': command}, name='exits 3')['id']
    await until(lambda: service.get(job_id)['status'] == 'failed')
    failed = service.get(job_id)
    assert failed['error'] == 'CommandFailed: exit code 3'
    assert failed['traceback'].endswith('last output:\nhi'), 'the output stays with the job, beside the reason'
    await user.open('/history')
    rows = await rows_until(user, lambda rows: len(rows) == 1)
    assert rows[0]['error'] == 'CommandFailed: exit code 3'


async def test_table_is_paged_and_sorted_on_the_server(user: User, service: JobService):
    for i in range(30):
        await finish(service, 'demo', {'items': 1, 'item_seconds': 0}, name=f'job {i:02}', finished_at=noon(0) - i,
                     elapsed=i)
    await user.open('/history')
    rows = await rows_until(user, lambda rows: len(rows) == 25)
    assert rows[0]['name'] == 'job 00' and the(ui.table, user).pagination['rowsNumber'] == 30
    # Quasar echoes the pagination it was mounted with, sometimes after the first listing has arrived
    user.find(ui.table).trigger('update:pagination', {'page': 1, 'rowsPerPage': 25, 'sortBy': 'finished',
                                                      'descending': True, 'rowsNumber': 0})
    assert the(ui.table, user).pagination['rowsNumber'] == 30  # else: '1-0 of 0' and no next page
    request = {'page': 2, 'rowsPerPage': 25, 'sortBy': 'finished', 'descending': True}
    user.find(ui.table).trigger('request', request)  # what the table's pager emits in the browser
    rows = await rows_until(user, lambda rows: len(rows) == 5)
    assert rows[-1]['name'] == 'job 29'
    user.find(ui.table).trigger('request', request | {'page': 1, 'sortBy': 'duration', 'descending': True})
    rows = await rows_until(user, lambda rows: rows[0]['name'] == 'job 29')
    assert rows[0]['duration'] == '29 s'


async def test_page_redraws_when_a_job_finishes(user: User, service: JobService):
    await user.open('/history')
    await user.should_see('No finished jobs yet')
    service.submit('demo', {'items': 1, 'item_seconds': 0}, name='late')
    await rows_until(user, lambda rows: [r['name'] for r in rows] == ['late'])


async def test_a_long_history_is_counted_per_week(user: User, service: JobService):
    quick = {'items': 1, 'item_seconds': 0}
    await finish(service, 'demo', quick, name='long ago', finished_at=noon(200), elapsed=1)
    await finish(service, 'demo', quick, name='today', finished_at=noon(0), elapsed=1)
    history = service.history(None)
    assert history['bucket'] == 'week' and 28 <= len(history['starts']) <= 31
    # weeks start on Monday at local midnight, on both sides of a DST change
    assert {datetime.fromtimestamp(start).strftime('%a %H:%M') for start in history['starts']} == {'Mon 00:00'}
    assert history['counts']['completed'][0] == 1 and history['counts']['completed'][-1] == 1
    assert sum(history['counts']['completed']) == 2
