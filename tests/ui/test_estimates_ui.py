"""A job that reports no progress, on the dashboard and its page: progress by time against its usual duration,
marked as an estimate, and a notice once it takes far longer than usual."""

from __future__ import annotations

from nicegui import ElementFilter, ui
from nicegui.testing import User

from progress_app.ui import rows
from tests.helpers import until
from tests.ui.test_dashboard import rows_until


def texts(user: User) -> str:
    with user.client:
        return ' | '.join(str(e.text) for e in ElementFilter(kind=ui.label))


async def test_a_silent_job_shows_an_estimate_by_time_then_that_it_is_overdue(user: User, service, tmp_path):
    length = tmp_path / 'seconds'
    length.write_text('0.6')
    params = {'command': f'sleep "$(cat {length})"', 'shell': True}  # the same parameters, a different length
    for _ in range(2):
        job = service.submit('command', params, name='nightly backup')
        await until(lambda job=job: service.get(job['id'])['status'] == 'completed')
    length.write_text('3')
    job = service.submit('command', params, name='nightly backup')
    await user.open('/')
    table = await rows_until(user, lambda table: any(r['id'] == job['id'] and r['percent'].startswith('≈')
                                                     for r in table))
    row = next(r for r in table if r['id'] == job['id'])
    assert 'usually' in row['timing'] and 0 < row['progress'] < 100 and row['estimated'], 'a striped bar'

    await user.open(f"/jobs/{job['id']}")
    await until(lambda: 'Taking longer than usual' in texts(user), timeout=15)
    assert '≈ 99.0 %' in texts(user), 'past its usual time, the estimate stays below 100 %'
    assert 'longer than usual (usually' in texts(user)
    await until(lambda: service.get(job['id'])['status'] == 'completed', timeout=15)
    await until(lambda: '100.0 %' in texts(user) and 'Taking longer' not in texts(user))


def test_the_percent_of_a_job_estimated_by_time_is_marked_and_never_100_before_the_end():
    running = {'status': 'running', 'progress': 0.0, 'estimated_progress': 40.4, 'expected_seconds': 2520.0,
               'elapsed_seconds': 1018.0, 'overdue': False}
    assert rows.percent_text(running) == '≈ 40 %'
    assert rows.usual_text(running) == 'usually 42 min'
    assert rows.overdue_text(running) == ''
    late = running | {'estimated_progress': 99.0, 'elapsed_seconds': 5100.0, 'overdue': True}
    assert rows.usual_text(late) == 'longer than usual (usually 42 min)'
    assert rows.overdue_text(late) == 'Taking longer than usual: 1 h 25 min so far, usually 42 min.'
    counted = {'status': 'running', 'progress': 99.97, 'estimated_progress': None, 'expected_seconds': 60.0,
               'elapsed_seconds': 30.0, 'overdue': False}
    assert rows.percent_text(counted) == '99 %' and rows.usual_text(counted) == ''
    assert rows.percent_text(counted | {'status': 'completed', 'progress': 100.0}, 1) == '100.0 %'
