"""The job page with NiceGUI's simulated user."""

from __future__ import annotations

import sys
import time

from nicegui import ElementFilter, ui
from nicegui.testing import User

from progress_app.ui.components.event_history import event_detail
from progress_app.ui.components.params_form import applicable
from progress_app.ui.components.progress_chart import thinned
from tests.helpers import until


def texts(user: User) -> str:
    with user.client:
        return ' | '.join(str(e.text) for e in ElementFilter(kind=ui.label))


async def test_live_progress_log_and_completion(user: User, service):
    job = service.submit('demo', {'items': 60, 'item_seconds': 0.02}, name='watch me')
    await user.open(f"/jobs/{job['id']}")
    await user.should_see('watch me')
    await user.should_see('1. prepare')
    await user.should_see('2. process')
    await until(lambda: 'item ' in texts(user))
    await until(lambda: service.get(job['id'])['status'] == 'completed')
    await user.should_see('100.0 %')
    await user.should_see('done in')
    with user.client:
        log = next(iter(ElementFilter(kind=ui.log)))
    await until(lambda: any('completed' in str(line.text) for line in log.default_slot.children))
    with user.client:
        history = next(iter(ElementFilter(kind=ui.table)))
    await until(lambda: [row['type'] for row in history.rows][:1] == ['completed'])  # newest first
    assert {'created', 'queued', 'started'} <= {row['type'] for row in history.rows}
    await user.should_see('Result')


async def test_failed_job_shows_error_stage_and_retry(user: User, service):
    job = service.submit('demo', {'items': 20, 'item_seconds': 0, 'fail_at_item': 5}, name='breaks')
    service.wait(job['id'], ['failed'])
    await user.open(f"/jobs/{job['id']}")
    await user.should_see("Failed in stage 'process': RuntimeError: simulated failure at item 5 (attempt 1)")
    await user.should_see('Traceback')
    user.find(marker='action-retry').click()
    await until(lambda: service.get(job['id'])['status'] == 'completed')
    await user.should_see('completed')


async def test_pause_and_cancel_buttons(user: User, service):
    job = service.submit('demo', {'items': 500, 'item_seconds': 0.02}, name='controlled')
    service.wait(job['id'], ['running'])
    await user.open(f"/jobs/{job['id']}")
    user.find(marker='action-pause').click()
    await until(lambda: service.get(job['id'])['status'] == 'paused')
    await user.should_see('paused')
    await user.should_see('of the work · paused')  # the stage it stopped in, without a clock that runs on
    user.find(marker='action-cancel').click()
    await until(lambda: service.get(job['id'])['status'] == 'cancelled')


async def test_remove_returns_to_dashboard(user: User, service):
    job = service.submit('demo', {'items': 1, 'item_seconds': 0}, name='short lived')
    service.wait(job['id'], ['completed'])
    await user.open(f"/jobs/{job['id']}")
    user.find(marker='action-remove').click()
    await user.should_see('Dashboard')
    await until(lambda: service.list()['total'] == 0)


async def test_unknown_job(user: User):
    await user.open('/jobs/4242')
    await user.should_see('There is no job #4242.')
    await user.open('/jobs/abc')
    await user.should_see('There is no job #abc.')


async def test_a_job_without_output_says_its_log_is_empty(user: User, service):
    job = service.submit('command', {'command': 'true', 'shell': True}, name='quiet')
    service.wait(job['id'], ['completed'])
    await user.open(f"/jobs/{job['id']}")
    await user.should_see('The job has written no log lines so far.')
    loud = service.submit('command', {'command': 'echo hello', 'shell': True}, name='loud')
    service.wait(loud['id'], ['completed'])
    await user.open(f"/jobs/{loud['id']}")
    with user.client:
        log = next(iter(ElementFilter(kind=ui.log)))
    await until(lambda: any('hello' in str(line.text) for line in log.default_slot.children))
    await user.should_not_see('The job has written no log lines so far.')


async def test_a_long_log_opens_at_its_end(user: User, service):
    script = "for i in range(30000): print(f'line {i:05} ' + 'z' * 60)"  # ~2 MB
    job = service.submit('command', {'command': [sys.executable, '-c', script]}, name='chatty')
    service.wait(job['id'], ['completed'])
    await user.open(f"/jobs/{job['id']}")
    with user.client:
        log = next(iter(ElementFilter(kind=ui.log)))

    def shown() -> list[str]:
        return [str(line.text) for line in log.default_slot.children]

    await until(lambda: any('line 29999' in line for line in shown()))
    assert 'of earlier lines: download the log to read them' in shown()[0]
    assert not any('line 00000' in line for line in shown())  # the start of the log was never sent
    assert len(shown()) < 3000


async def test_the_progress_chart_follows_a_running_job(user: User, service):
    job = service.submit('demo', {'items': 400, 'item_seconds': 0.02}, name='charted')
    service.wait(job['id'], ['running'])
    await user.open(f"/jobs/{job['id']}")
    with user.client:
        chart = next(iter(ElementFilter(kind=ui.echart)))

    def points() -> list[list[float]]:
        return list(chart.props['options']['series'][0]['data'])  # what the page is sent

    opened = points()
    assert opened and opened[-1][1] >= 0
    await until(lambda: len(points()) >= len(opened) + 2 and points()[-1][1] > opened[-1][1])
    times = [t for t, _ in points()]
    values = [v for _, v in points()]
    assert times == sorted(times) and values == sorted(values)  # a time axis; progress never goes back
    service.pause(job['id'])
    service.wait(job['id'], ['paused'])
    paused_at = service.get(job['id'])['progress']
    await user.open(f"/jobs/{job['id']}")  # a paused job's line ends where it stopped, not at its last event
    with user.client:
        chart = next(iter(ElementFilter(kind=ui.echart)))
    assert abs(points()[-1][1] - paused_at) < 0.01
    service.cancel(job['id'])


def test_a_long_progress_line_is_thinned_keeping_its_ends():
    line = [[float(t), t / 10] for t in range(1001)]
    thin = thinned(line, limit=100)
    assert 50 <= len(thin) <= 100
    assert thin[0] == line[0] and thin[-1] == line[-1]
    assert thin == sorted(thin)
    assert thinned(line[:5], limit=100) == line[:5]


async def test_a_failed_jobs_line_ends_where_it_failed(user: User, service):
    job = service.submit('demo', {'items': 30, 'item_seconds': 0.15, 'fail_at_item': 12}, name='falls')  # 2.4 s
    failed = service.wait(job['id'], ['failed'])
    await user.open(f"/jobs/{job['id']}")
    with user.client:
        chart = next(iter(ElementFilter(kind=ui.echart)))
    line = chart.props['options']['series'][0]['data']
    assert abs(line[-1][1] - failed['progress']) < 0.01 and failed['progress'] > 30


def test_event_details_are_in_words():
    at = time.mktime((2030, 3, 1, 14, 30, 0, 0, 0, -1))
    created = {'type': 'created', 'data': {'kind': 'demo', 'params': {'items': 5}, 'run_at': at, 'after': 7}}
    assert event_detail(created) == 'kind: demo, runs at 2030-03-01 14:30, after job #7'
    late = {'type': 'queued', 'data': {'reason': 'its time came', 'late_seconds': 125.0}}
    assert event_detail(late) == 'its time came, 2 min 5 s late'


async def test_parameters_show_only_the_options_of_the_chosen_operation(user: User, service, tmp_path):
    (tmp_path / 'a.txt').write_text('hello')
    job = service.submit('batch', {'source': str(tmp_path), 'operation': 'checksum'}, name='sums')
    service.wait(job['id'], ['completed'])
    await user.open(f"/jobs/{job['id']}")
    with user.client:
        shown = next(e.content for e in ElementFilter(kind=ui.code) if '"source"' in e.content)
    assert '"operation": "checksum"' in shown and '"pattern"' in shown
    assert '"codec"' not in shown and '"width"' not in shown and '"opacity"' not in shown


async def test_parameters_and_result_show_characters_as_they_are(user: User, service, tmp_path):
    (tmp_path / 'in').mkdir()
    (tmp_path / 'in' / 'a.txt').write_text('hello')
    dest = tmp_path / 'Fotos © 2026 Me'
    job = service.submit('batch', {'source': str(tmp_path / 'in'), 'operation': 'copy', 'dest': str(dest)})
    service.wait(job['id'], ['completed'])
    await user.open(f"/jobs/{job['id']}")

    def codes() -> list[str]:
        with user.client:
            return [e.content for e in ElementFilter(kind=ui.code) if 'Fotos' in e.content]

    shown = await until(lambda: len(codes()) == 2 and codes())  # the parameters, and the result once drawn
    assert all(f'"dest": "{tmp_path}/Fotos © 2026 Me"' in text for text in shown), shown


def test_applicable_follows_x_shown_when():
    schema = {'properties': {'mode': {}, 'size': {'x-shown-when': {'mode': ['resize']}}, 'free': {}}}
    assert applicable({'mode': 'copy', 'size': 10, 'free': 1}, schema) == {'mode': 'copy', 'free': 1}
    assert applicable({'mode': 'resize', 'size': 10, 'free': 1}, schema) == {'mode': 'resize', 'size': 10, 'free': 1}
    assert applicable({'unknown': 1}, {}) == {'unknown': 1}


async def test_a_job_removed_elsewhere_says_so_and_offers_no_actions(user: User, service):
    job = service.submit('demo', {'items': 1000, 'item_seconds': 0.02}, name='doomed')
    service.wait(job['id'], ['running'])
    await user.open(f"/jobs/{job['id']}")
    await user.should_see(marker='action-pause')
    service.remove(job['id'])  # from another tab or a script
    await user.should_see(f"Job #{job['id']} was removed, with its history, log and outputs.")
    with user.client:
        badge = next(iter(ElementFilter(kind=ui.badge)))
    await until(lambda: badge.text == 'removed')
    await user.should_not_see(marker='action-retry')
    await user.should_not_see(marker='action-remove')


async def test_run_again_opens_the_new_job(user: User, service):
    old = service.submit('demo', {'items': 2, 'item_seconds': 0}, name='twice')
    service.wait(old['id'], ['completed'])
    await user.open(f"/jobs/{old['id']}")
    user.find(marker='run-again').click()
    await until(lambda: service.list()['total'] == 2)
    new = max(job['id'] for job in service.list()['items'])
    await user.should_see(f'#{new} · demo')


async def test_a_scheduled_job_can_be_started_from_its_page(user: User, service):
    job = service.submit('demo', {'items': 2, 'item_seconds': 0}, name='later', run_at=time.time() + 3600)
    await user.open(f"/jobs/{job['id']}")
    await user.should_see(marker='action-start')
    user.find(marker='action-start').click()
    await until(lambda: service.get(job['id'])['status'] == 'completed')
    assert service._engine.scheduler.get_job(f"release-{job['id']}") is None  # its timer is gone with it


async def test_a_job_that_never_reaches_a_check_point_shows_cancelling_and_what_it_waits_for(
        user: User, service, tmp_path):
    from tests import fixture_kinds  # noqa: F401  (registers t_stuck: a sleep that never calls ctx.check())

    release = tmp_path / 'release'
    try:
        job = service.submit('t_stuck', {'release': str(release)}, name='sound asleep')
        service.wait(job['id'], ['running'])
        await user.open(f"/jobs/{job['id']}")
        user.find(marker='action-cancel').click()
        await until(lambda: service.get(job['id'])['status'] == 'cancelling')
        await user.should_see('cancelling')
        await until(lambda: "for the job's next check point" in texts(user))
        assert 'waiting ' in texts(user)
        await user.should_not_see(marker='action-cancel')
        await user.should_see(marker='action-remove')
    finally:
        release.touch()
    await until(lambda: service.get(job['id'])['status'] == 'completed')
