"""The job page's History table follows the job: a Retry's attempt appears in it without a reload."""

from __future__ import annotations

from nicegui import ElementFilter, ui
from nicegui.testing import User

from tests.helpers import until


async def test_history_follows_a_retry_that_fails_again(user: User, service):
    job = service.submit('demo', {'items': 20, 'item_seconds': 0, 'fail_at_item': 5, 'fail_times': 2}, name='twice')
    service.wait(job['id'], ['failed'])
    await user.open(f"/jobs/{job['id']}")
    with user.client:
        history = next(iter(ElementFilter(kind=ui.table)))
    await until(lambda: [row['type'] for row in history.rows][:1] == ['failed'])
    before = len(history.rows)
    user.find(marker='action-retry').click()
    await until(lambda: service.get(job['id'])['attempts'] == 2 and service.get(job['id'])['status'] == 'failed')
    stored = [e for e in service.events(job['id']) if e['type'] != 'progress']
    assert len(stored) > before
    await until(lambda: len(history.rows) == len(stored))
    assert history.rows[0]['type'] == 'failed'
    assert sum(row['type'] == 'started' for row in history.rows) == 2
