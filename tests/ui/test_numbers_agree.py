"""The numbers a page shows agree with each other (issue 16, 'Numbers that disagree or lie'), seen with NiceGUI's
simulated user."""

from __future__ import annotations

import re

from nicegui import ElementFilter, ui
from nicegui.testing import User

from progress_app.ui import format as fmt
from tests.helpers import until
from tests.kinds.media import make_video
from tests.ui.test_dashboard import rows_until

REALTIME = re.compile(r'\d\.\d\d× realtime')


async def test_a_completed_demo_row_says_what_it_did_in_words_and_counts_that_agree(user: User, service):
    job = service.submit('demo', {'items': 10, 'item_seconds': 0}, name='ten items')
    service.wait(job['id'], ['completed'], timeout=10)
    await user.open('/')
    rows = await rows_until(user, lambda rows: [r['status'] for r in rows] == ['completed'])
    assert (rows[0]['message'], rows[0]['counts']) == ('10 items processed', '10 / 10 items')


async def test_a_video_has_one_speed_in_times_realtime_on_its_page_and_the_dashboard(user: User, service, tmp_path):
    """Not '1.68× realtime' in the message and '1.90 seconds/s' under Speed ('s/second' on the dashboard)."""
    clip = make_video(tmp_path / 'long.mp4', seconds=20, size='320x240', pattern='testsrc2')
    job = service.submit('video', {'input': str(clip), 'preset': 'medium'}, name='encode')
    live = service.job(job['id'])
    await user.open(f"/jobs/{job['id']}")
    # under Speed, and beside the percent with the ETA: the same speed, written the same way
    texts = await until(lambda: len([t for t in labels(user) if REALTIME.search(t)]) >= 2, timeout=30) and labels(
        user)
    assert not [t for t in texts if re.search(r'seconds?/s|s/second|realtime.*realtime', t)], texts
    assert 'realtime' not in live.progress.message, 'the message has no second speed'
    await user.open('/')
    rows = await rows_until(user, lambda rows: rows and (REALTIME.search(rows[0]['timing']) or rows[0]['status']
                                                         == 'completed'), timeout=30)
    assert 'realtime' not in rows[0]['message']


def labels(user: User) -> list[str]:
    with user.client:
        return [label.text for label in ElementFilter(kind=ui.label)]


async def test_a_stage_time_is_its_running_time_summed_over_attempts_and_says_so(user: User, service):
    """Not 'prepare · 0 ms' after a retry walked through it again at once: the first attempt's 0.25 s count."""
    job = service.submit('demo', {'items': 10, 'item_seconds': 0.05, 'fail_at_item': 5}, name='retried')
    service.wait(job['id'], ['failed'], timeout=10)
    await user.open(f"/jobs/{job['id']}")
    user.find(marker='action-retry').click()
    await until(lambda: service.get(job['id'])['status'] == 'completed')
    done = service.get(job['id'])
    prepare, process, finish = done['stages']
    assert prepare['seconds'] >= 0.25 and process['seconds'] >= 0.45 and finish['seconds'] >= 0.25
    assert (prepare['attempts'], process['attempts'], finish['attempts']) == (2, 2, 1)
    assert sum(s['seconds'] for s in done['stages']) <= done['elapsed_seconds'], 'never more than the job ran'
    await user.should_see('of the work · ' + fmt.duration(prepare['seconds']) + ' over 2 attempts')
    await user.should_see('of the work · ' + fmt.duration(finish['seconds']))


async def test_a_job_that_counted_nothing_says_so_alike_on_its_page_and_the_dashboard(user: User, service):
    """Not 'DONE 0 items' on the job page of a command that reports no progress (its dashboard row says nothing)."""
    job = service.submit('command', {'command': ['sh', '-c', 'exit 3']}, name='no counts')
    service.wait(job['id'], ['failed'], timeout=10)
    await user.open(f"/jobs/{job['id']}")
    await user.should_see('no counts')
    shown = labels(user)
    assert shown[shown.index('Done') + 1] == '—'
    await user.open('/')
    rows = await rows_until(user, lambda rows: len(rows) == 1)
    assert rows[0]['counts'] == ''
