"""The job page and the dashboard are pushed from the event bus (issue 19): they follow a job step by step, and a
page whose jobs do not change is sent nothing, having no timer of its own."""

from __future__ import annotations

import json
import time
from pathlib import Path

from playwright.sync_api import expect

from progress_app.ui.format import count
from tests.helpers import wait_until

WAIT_MS = 15_000  # for what the app does at once: generous, for 2 busy cores
QUIET_SECONDS = 2.5  # a window in which nothing at all should reach a settled page

# A job that takes each step when the test says so (a file appears), so what the pages must show next never depends
# on how fast the machine is.
STEPPED_KIND = '''
import time
from pathlib import Path

from progress_app import JobContext, job_kind


@job_kind('t_stepped', title='Steps when told (test)')
def stepped(ctx: JobContext, steps: int = 3, folder: str = '') -> dict:
    """Step n (advance, say so) once the file `folder`/go-n exists."""
    ctx.set_total(steps, 'steps')
    for n in range(1, steps + 1):
        while not (Path(folder) / f'go-{n}').exists():
            ctx.check()
            time.sleep(0.01)
        ctx.advance()
        ctx.message(f'step {n} of {steps}')
        ctx.log(f'took step {n}')
    return {'steps': steps}
'''


def start_app(app_process, tmp_path: Path):
    plugins = tmp_path / 'data' / 'plugins'
    plugins.mkdir(parents=True)
    (plugins / 'stepped_kind.py').write_text(STEPPED_KIND)
    return app_process()


def test_the_dashboard_row_and_the_job_page_follow_a_job_step_by_step(app_process, page, tmp_path):
    app = start_app(app_process, tmp_path)
    steps = 4
    job = app.submit('t_stepped', {'steps': steps, 'folder': str(tmp_path)}, name='stepping')
    wait_until(lambda: app.job(job['id'])['status'] == 'running')
    dashboard = page
    job_page = page.context.new_page()
    dashboard.goto(app.url)
    job_page.goto(f"{app.url}/jobs/{job['id']}")
    row = dashboard.locator('tbody tr', has_text='stepping')
    expect(row).to_contain_text('running', timeout=WAIT_MS)
    expect(job_page.locator('.q-badge', has_text='running')).to_be_visible(timeout=WAIT_MS)
    for n in range(1, steps + 1):
        (tmp_path / f'go-{n}').touch()
        message, counts = f'step {n} of {steps}', count(n, steps, 'steps')
        expect(row).to_contain_text(message, timeout=WAIT_MS)
        expect(row).to_contain_text(counts, timeout=WAIT_MS)
        expect(job_page.get_by_text(message, exact=True)).to_be_visible(timeout=WAIT_MS)
        expect(job_page.get_by_text(counts, exact=True)).to_be_visible(timeout=WAIT_MS)
    expect(row).to_contain_text('completed', timeout=WAIT_MS)
    expect(row).to_contain_text('100 %', timeout=WAIT_MS)
    expect(job_page.locator('.q-badge', has_text='completed')).to_be_visible(timeout=WAIT_MS)
    expect(job_page.get_by_text('100.0 %', exact=True)).to_be_visible(timeout=WAIT_MS)
    expect(job_page.get_by_text('Run again')).to_be_visible(timeout=WAIT_MS)  # the buttons follow the status
    assert app.job(job['id'])['status'] == 'completed'


def socket_messages(page) -> list[tuple[float, str]]:
    """socket.io messages the page will receive (engine.io's pings and pongs left out), with their arrival time."""
    received: list[tuple[float, str]] = []

    def on_frame(payload: str | bytes) -> None:
        text = payload if isinstance(payload, str) else payload.decode(errors='replace')
        if text.startswith('4'):  # engine.io 'message' (socket.io inside); 2 and 3 are ping and pong
            received.append((time.monotonic(), text))

    page.on('websocket', lambda ws: ws.on('framereceived', on_frame))
    return received


def after(messages: list[tuple[float, str]], start: float) -> list[str]:
    return [text[:300] for at, text in messages if at >= start]


def test_a_page_whose_job_does_not_change_is_sent_nothing(app_process, page, tmp_path):
    """The old pages had a timer each (0.2-0.3 s) and sent their elements again and again; the pushed ones get
    nothing while nothing changes, although the shared clock visits them every second."""
    app = start_app(app_process, tmp_path)
    (tmp_path / 'go-1').touch()
    job = app.submit('t_stepped', {'steps': 1, 'folder': str(tmp_path)}, name='finished')
    wait_until(lambda: app.job(job['id'])['status'] == 'completed')
    dashboard = page
    job_page = page.context.new_page()
    on_dashboard, on_job_page = socket_messages(dashboard), socket_messages(job_page)
    dashboard.goto(app.url)
    job_page.goto(f"{app.url}/jobs/{job['id']}")
    # settled: everything each page loads after it is built is shown (the list; the job's log and history)
    expect(dashboard.locator('tbody tr', has_text='finished')).to_contain_text('completed', timeout=WAIT_MS)
    expect(job_page.get_by_text('step 1 of 1', exact=True)).to_be_visible(timeout=WAIT_MS)
    expect(job_page.locator('.nicegui-log')).to_contain_text('took step 1', timeout=WAIT_MS)
    expect(job_page.locator('tbody tr', has_text='completed').first).to_be_visible(timeout=WAIT_MS)
    assert on_dashboard and on_job_page, 'the pages were built over their sockets'
    start = time.monotonic()
    job_page.wait_for_timeout(QUIET_SECONDS * 1000)  # an observation window, not a wait for something to happen
    dashboard.wait_for_timeout(100)  # lets Playwright hand over the dashboard's frames too
    assert time.monotonic() - start >= QUIET_SECONDS
    assert after(on_job_page, start) == [], json.dumps(after(on_job_page, start), indent=1)
    assert after(on_dashboard, start) == [], json.dumps(after(on_dashboard, start), indent=1)
