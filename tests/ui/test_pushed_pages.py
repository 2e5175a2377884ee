"""The dashboard and the job page have no timer of their own: the app's one feed pushes them (ui/live.py)."""

from __future__ import annotations

from nicegui import ElementFilter, ui
from nicegui.testing import User

from progress_app.ui.live import feed_of
from tests.helpers import until


def timers(user: User) -> list[ui.timer]:
    """The page's timers, leaving out the one NiceGUI puts in every `ui.code` (it shows the copy button again after
    a scroll, and sends nothing while that does not change)."""
    with user.client:
        return [timer for timer in ElementFilter(kind=ui.timer)
                if not (timer.parent_slot and isinstance(timer.parent_slot.parent, ui.code))]


async def test_the_history_page_has_timers_so_the_filter_finds_them(user: User, service):
    await user.open('/history')
    await user.should_see('History')
    assert timers(user)


async def test_the_dashboard_and_the_job_page_have_no_timer_and_are_fed(user: User, service):
    job = service.submit('demo', {'items': 500, 'item_seconds': 0.02}, name='fed')
    service.wait(job['id'], ['running'])
    await user.open('/')
    with user.client:
        table = next(iter(ElementFilter(kind=ui.table)))
    await until(lambda: [row['name'] for row in table.rows] == ['fed'])
    assert timers(user) == []
    assert feed_of(service).pages == 1
    await user.open(f"/jobs/{job['id']}")
    await user.should_see('fed')
    await user.should_see('item ')  # its message, pushed
    assert timers(user) == []
    service.cancel(job['id'])


async def test_progress_events_move_the_row_without_reading_the_list_again(user: User, service):
    """The recorder stores progress events for running jobs all the time; they change no job's status, so the
    dashboard updates the job's row and does not read its list again (it did, for every one of them)."""
    job = service.submit('demo', {'items': 5000, 'item_seconds': 0.01}, name='busy')
    service.wait(job['id'], ['running'])
    await user.open('/')
    with user.client:
        table = next(iter(ElementFilter(kind=ui.table)))
    await until(lambda: [(row['name'], row['status']) for row in table.rows] == [('busy', 'running')])
    listings = feed_of(service).listings
    queries, counts = listings.queries, table.rows[0]['counts']

    def progress_events() -> int:
        return sum(event['type'] == 'progress' for event in service.events(job['id']))

    stored = progress_events()
    await until(lambda: progress_events() >= stored + 2, timeout=20)  # the first one's flush is long over
    await until(lambda: table.rows[0]['counts'] != counts)
    assert listings.queries == queries
    service.cancel(job['id'])
