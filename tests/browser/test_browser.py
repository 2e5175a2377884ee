"""What only a browser shows: the bar moving live, buttons doing their job, reconnecting after a restart."""

from __future__ import annotations

import re
import sys
import time

from tests.browser.conftest import screenshot
from tests.helpers import AppProcess, wait_until


def percent_on(page) -> float:
    text = page.locator('text=/^\\d+\\.\\d %$/').first.inner_text()
    return float(text.split()[0])


def test_start_from_the_form_and_watch_the_bar_reach_100(app_process, page):
    app = app_process()
    page.goto(f'{app.url}/new?kind=demo')
    page.get_by_label('Items', exact=True).fill('80')
    page.get_by_label('Item seconds').fill('0.1')
    page.get_by_label('Name (optional)').fill('browser run')
    page.get_by_role('button', name='Start job').click()
    page.wait_for_url(re.compile(r'/jobs/\d+$'))
    seen = set()
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        value = percent_on(page)
        seen.add(value)
        if value >= 100:
            break
        page.wait_for_timeout(100)
    assert max(seen) == 100.0
    assert len([v for v in seen if 0 < v < 100]) >= 3, f'the bar should be seen moving, saw {sorted(seen)}'
    bar = page.locator('.q-linear-progress').first
    assert float(bar.get_attribute('aria-valuenow')) == 1.0


def test_enter_in_a_field_submits_the_form_but_not_on_a_button(app_process, page):
    app = app_process()
    page.goto(f'{app.url}/new?kind=command')
    page.get_by_label('Command *').fill('echo from enter')
    page.get_by_role('button', name='Add').press('Enter')  # a row for the environment, not a submission
    page.get_by_label('Name', exact=True).fill('GREETING')
    page.get_by_label('Value', exact=True).fill('hi')
    page.get_by_label('Name (optional)').fill('entered')
    page.get_by_label('Name (optional)').press('Enter')
    page.wait_for_url(re.compile(r'/jobs/\d+$'))
    jobs = app.client.get('/api/jobs').json()['items']
    assert [(job['name'], job['params']['command'], job['params']['env']) for job in jobs] == [
        ('entered', 'echo from enter', {'GREETING': 'hi'})]


def test_pause_and_resume_from_the_dashboard(app_process, page):
    app = app_process()
    job = app.submit('demo', {'items': 1000, 'item_seconds': 0.02}, name='pause me')
    wait_until(lambda: app.job(job['id'])['status'] == 'running')
    page.goto(app.url)
    row = page.locator('tr', has_text='pause me')
    row.get_by_role('button').filter(has=page.locator('text=pause')).first.click()
    wait_until(lambda: app.job(job['id'])['status'] == 'paused')
    row.locator('.q-badge', has_text='paused').wait_for()
    frozen = app.job(job['id'])['current']
    page.wait_for_timeout(300)
    assert app.job(job['id'])['current'] == frozen
    row.get_by_role('button').filter(has=page.locator('text=play_arrow')).first.click()
    wait_until(lambda: app.job(job['id'])['status'] == 'running')
    wait_until(lambda: app.job(job['id'])['current'] > frozen)
    row.locator('.q-badge', has_text='running').wait_for()


def test_history_pages_through_more_finished_jobs_than_fit_on_one(app_process, page):
    app = app_process()
    jobs = [app.submit('demo', {'items': 1, 'item_seconds': 0}, name=f'finished {i:02}') for i in range(30)]
    wait_until(lambda: all(app.job(job['id'])['status'] == 'completed' for job in jobs), timeout=30)
    page.goto(f'{app.url}/history')
    footer = page.locator('.q-table__bottom')
    footer.get_by_text('1-25 of 30').wait_for()
    assert page.locator('tbody tr').count() == 25
    footer.locator('button').last.click()  # next page
    footer.get_by_text('26-30 of 30').wait_for()
    page.locator('tbody tr', has_text='finished 00').wait_for()  # oldest last
    assert page.locator('tbody tr').count() == 5


def test_the_progress_chart_grows_while_the_page_is_open(app_process, page):
    app = app_process()
    job = app.submit('demo', {'items': 1000, 'item_seconds': 0.02}, name='charted')
    wait_until(lambda: app.job(job['id'])['status'] == 'running')
    page.goto(f"{app.url}/jobs/{job['id']}")
    page.locator('.progress-chart canvas').wait_for()
    series = """() => getElement(document.querySelector('.progress-chart')).chart.getOption().series[0].data"""
    first = page.evaluate(series)
    wait_until(lambda: len(page.evaluate(series)) >= len(first) + 3, timeout=15,
               message='the chart on the page to get new points')
    last = page.evaluate(series)[-1]
    assert last[1] > first[-1][1] and last[0] > first[-1][0]
    assert abs(last[1] - app.job(job['id'])['progress']) < 10  # a second behind at most, at ~2.5 % a second


def test_the_log_download_button_saves_the_whole_log(app_process, page, tmp_path):
    app = app_process()
    script = "for i in range(30000): print(f'line {i:05} ' + 'z' * 60)"  # ~2 MB: the page shows its tail only
    job = app.submit('command', {'command': [sys.executable, '-c', script]}, name='chatty')
    wait_until(lambda: app.job(job['id'])['status'] == 'completed')
    page.goto(f"{app.url}/jobs/{job['id']}")
    page.get_by_text('line 29999').wait_for()
    with page.expect_download() as download:
        page.get_by_role('button').filter(has=page.locator('text=download')).first.click()
    saved = tmp_path / 'saved.log'
    download.value.save_as(saved)
    lines = saved.read_text().splitlines()
    assert [line for line in lines if line.startswith('line ')] == [f'line {i:05} ' + 'z' * 60 for i in range(30000)]


def test_job_page_reconnects_after_a_restart_and_shows_the_job_going_on(tmp_path, page):
    first = AppProcess(tmp_path / 'data').start()
    try:
        job = first.submit('demo', {'items': 600, 'item_seconds': 0.03}, name='survivor')
        wait_until(lambda: first.job(job['id'])['progress'] > 15)
        page.goto(f"{first.url}/jobs/{job['id']}")
        page.locator('text=survivor').first.wait_for()
        before = percent_on(page)
        first.kill()
        page.locator('#connection-dot[data-state="offline"]').wait_for()
        second = AppProcess(tmp_path / 'data', port=first.port).start()
        try:
            page.locator('#connection-dot[data-state="live"]').wait_for(timeout=30_000)
            wait_until(lambda: second.job(job['id'])['attempts'] == 2, timeout=30)
            wait_until(lambda: percent_on(page) > before + 5, timeout=40, message='the page to show progress again')
            page.locator('.q-badge', has_text='running').first.wait_for()
        finally:
            second.kill()
            second.client.close()
    finally:
        first.kill()
        first.client.close()


def test_screenshots_light_and_dark(app_process, browser):
    app = app_process()
    running = app.submit('demo', {'items': 2000, 'item_seconds': 0.05}, name='Transcode holiday.mp4')
    app.submit('demo', {'items': 20, 'item_seconds': 0}, name='Resize 20 photos')
    app.submit('demo', {'items': 30, 'item_seconds': 0, 'fail_at_item': 12}, name='Checksum backup')
    app.submit('command', {'command': 'sleep 30'}, name='Nightly rsync')
    wait_until(lambda: app.job(running['id'])['progress'] > 12)
    for scheme in ('light', 'dark'):
        context = browser.new_context(viewport={'width': 1400, 'height': 900}, color_scheme=scheme)
        page = context.new_page()
        page.goto(app.url)
        page.locator('tr', has_text='Transcode holiday.mp4').wait_for()
        page.wait_for_timeout(800)
        assert screenshot(page, f'dashboard-{scheme}').stat().st_size > 10_000
        page.goto(f"{app.url}/jobs/{running['id']}")
        page.locator('text=Progress over time').wait_for()
        page.wait_for_timeout(1500)
        assert screenshot(page, f'job-{scheme}').stat().st_size > 10_000
        dark = page.evaluate('document.body.classList.contains("body--dark")')
        assert dark == (scheme == 'dark')
        context.close()
