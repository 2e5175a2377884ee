"""The numbers a page shows agree with each other (issue 16, 'Numbers that disagree or lie'), seen with NiceGUI's
simulated user."""

from __future__ import annotations

from nicegui.testing import User

from tests.ui.test_dashboard import rows_until


async def test_a_completed_demo_row_says_what_it_did_in_words_and_counts_that_agree(user: User, service):
    job = service.submit('demo', {'items': 10, 'item_seconds': 0}, name='ten items')
    service.wait(job['id'], ['completed'], timeout=10)
    await user.open('/')
    rows = await rows_until(user, lambda rows: [r['status'] for r in rows] == ['completed'])
    assert (rows[0]['message'], rows[0]['counts']) == ('10 items processed', '10 / 10 items')
