"""The dashboard with thousands of jobs (issue 16, item 20): Quasar drew a button per page, 4,000 of them for
100,000 jobs, and Chromium took seconds to show the rows and each search's result."""

from __future__ import annotations

import time

from sqlalchemy import insert

from progress_app.store.engine import create_db_engine, init_schema
from progress_app.store.tables import JOB
from tests.browser.conftest import screenshot
from tests.helpers import AppProcess

JOBS = 3000  # 120 pages of 25


def test_the_pager_shows_a_window_of_page_numbers_and_reaches_the_last_page(page, tmp_path):
    data = tmp_path / 'data'
    data.mkdir()
    engine = create_db_engine(f"sqlite:///{data / 'progress.db'}")
    init_schema(engine)
    now = time.time()
    with engine.begin() as connection:  # finished jobs as a month of use leaves them, without running them
        connection.execute(insert(JOB), [
            {'name': f'Nightly sync {i}', 'kind': 'demo', 'status': 'completed', 'params': {}, 'options': {},
             'stages': [], 'stage_states': [], 'progress': 100.0, 'created_at': now, 'finished_at': now}
            for i in range(JOBS)])
    engine.dispose()
    app = AppProcess(data).start()
    try:
        page.goto(app.url)
        page.get_by_text(f'1–25 of {JOBS} jobs').wait_for()
        pager = page.locator('.q-pagination')
        numbers = [text.strip() for text in pager.locator('button').all_inner_texts() if text.strip().isdigit()]
        screenshot(page, 'dashboard-3000-jobs')
        assert len(numbers) <= 9, numbers  # a window of seven, and the first and the last page
        assert numbers[0] == '1' and numbers[-1] == '120'
        pager.get_by_role('button', name='120', exact=True).click()
        page.get_by_text(f'2976–{JOBS} of {JOBS} jobs').wait_for()
        page.get_by_role('link', name='Nightly sync 0', exact=True).wait_for()
    finally:
        app.kill()
        app.client.close()
