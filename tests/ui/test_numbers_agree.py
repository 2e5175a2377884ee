"""The numbers a page shows agree with each other (issue 16, 'Numbers that disagree or lie'), seen with NiceGUI's
simulated user."""

from __future__ import annotations

import re

from nicegui import ElementFilter, ui
from nicegui.testing import User

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
