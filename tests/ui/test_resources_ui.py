"""CPU and memory, and stalls, in the UI (issue 17, items 7 and 4): the job page's 'CPU and memory' card ticks on
live; a stalled job has a badge on its dashboard row and its job page; the history sorts by peak memory."""

from __future__ import annotations

import sys

import pytest
from nicegui import ui
from nicegui.testing import User

from progress_app.runtime.service import JobService
from progress_app.ui import rows
from progress_app.ui.components.event_history import event_detail
from progress_app.ui.components.resource_chart import facts
from tests.helpers import until
from tests.ui.test_dashboard import rows_until
from tests.ui.test_history import rows_until as history_rows_until
from tests.ui.test_history import the

SPIN = 'import os, sys\nwhile not os.path.exists(sys.argv[1]): pass'


@pytest.fixture
def quick_stalls(monkeypatch: pytest.MonkeyPatch) -> None:
    """A one-second minimum stall (request before `user`: the app reads it at start)."""
    monkeypatch.setenv('PROGRESS_APP_STALL_MIN_SECONDS', '1')


def stalling(release) -> dict:
    script = f'for i in $(seq 1 40); do echo "$i/100"; sleep 0.05; done; while [ ! -f {release} ]; do sleep 0.05; done'
    return {'command': ['sh', '-c', script]}


async def test_the_job_page_shows_cpu_and_memory_live(user: User, service: JobService, tmp_path):
    release = tmp_path / 'release'
    job = service.submit('command', {'command': [sys.executable, '-c', SPIN, str(release)]}, name='spin')
    await user.open(f"/jobs/{job['id']}")
    await user.should_see('CPU and memory')
    memory = the(ui.label, user, 'resource-memory')
    await until(lambda: memory.text.endswith('MB'), timeout=15)
    peak = the(ui.label, user, 'resource-peak-memory')
    assert peak.text.endswith('MB')
    release.touch()
    await until(lambda: service.get(job['id'])['status'] == 'completed', timeout=15)
    await until(lambda: memory.text == '—')  # nothing runs now: its peak and total stay
    assert peak.text.endswith('MB') and the(ui.label, user, 'resource-cpu-time').text != '—'


async def test_a_stalled_job_has_a_badge_on_the_dashboard_and_its_page(quick_stalls, user: User,
                                                                       service: JobService, tmp_path):
    job = service.submit('command', stalling(tmp_path / 'release'), name='stuck')
    await user.open('/')
    rows = await rows_until(user, lambda rows: rows and rows[0]['stalled'], timeout=20)
    assert rows[0]['stalled'].startswith('stalled since ')
    await user.open(f"/jobs/{job['id']}")
    await user.should_see('stalled since', retries=50)
    (tmp_path / 'release').touch()
    await until(lambda: service.get(job['id'])['status'] == 'completed', timeout=15)


async def test_the_history_sorts_by_peak_memory(user: User, service: JobService, tmp_path):
    release = tmp_path / 'release'
    big = service.submit('command', {'command': [sys.executable, '-c', SPIN, str(release)]}, name='big')
    small = service.submit('demo', {'items': 1, 'item_seconds': 0}, name='small')
    await until(lambda: (service.get(big['id'])['resources'] or {}).get('peak_rss_bytes'), timeout=15)
    release.touch()
    await until(lambda: service.get(big['id'])['status'] == 'completed'
                and service.get(small['id'])['status'] == 'completed', timeout=15)
    await user.open('/history')
    await history_rows_until(user, lambda rows: len(rows) == 2)
    user.find(ui.table).trigger('request', {'page': 1, 'rowsPerPage': 25, 'sortBy': 'memory', 'descending': True})
    rows = await history_rows_until(user, lambda rows: rows[0]['name'] == 'big')
    assert rows[0]['memory'].endswith('MB') and rows[1]['memory'] == '—'


def test_the_words_for_resources_and_stalls():
    assert facts(None) == dict.fromkeys(('CPU', 'Memory', 'Peak memory', 'CPU time'), '—')
    assert facts({'cpu_percent': 97.4, 'rss_bytes': 124_000_000, 'peak_rss_bytes': 126_000_000,
                  'cpu_seconds': 75}) == {'CPU': '97 %', 'Memory': '124.0 MB', 'Peak memory': '126.0 MB',
                                          'CPU time': '1 min 15 s'}
    assert event_detail({'type': 'stalled', 'data': {'seconds': 65.0, 'on_stall': 'fail'}}) == \
        'no progress for 1 min 5 s · stopping it (on_stall: fail)'
    assert event_detail({'type': 'unstalled', 'data': {'seconds': 90.0}}) == 'moving again after 1 min 30 s'
    assert rows.stalled_text({'stalled': False}) == ''
    assert rows.stalled_text({'stalled': True, 'stalled_since': None}) == 'stalled'


async def test_the_form_can_ask_a_job_to_fail_when_it_stalls(user: User, service: JobService):
    from nicegui import ElementFilter

    await user.open('/new?kind=demo')
    await user.should_see('Time limit and retries')
    with user.client:
        next(iter(ElementFilter(kind=ui.checkbox, marker='fail-on-stall'))).value = True
    user.find('Start job').click()
    await user.should_see('Progress over time')
    assert service.list()['items'][0]['options']['on_stall'] == 'fail'
