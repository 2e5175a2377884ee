"""What only a browser shows of the layout: cells that must stay on one line at 1400 px, rows that must stay inside
their card, and a phone-sized screen (390 px)."""

from __future__ import annotations

from tests.browser.conftest import screenshot
from tests.helpers import wait_until

LONG_NAME = 'Re-encode every clip from the summer holiday in the mountains for the family album'
# The number of lines an element's text takes: its text's boxes at distinct heights.
LINES_JS = '''(element) => {
  const range = document.createRange();
  range.selectNodeContents(element);
  return new Set([...range.getClientRects()].filter(r => r.width > 0).map(r => Math.round(r.top))).size;
}'''


def test_speed_eta_and_elapsed_stay_on_one_line_at_1400_px(app_process, page):
    app = app_process()
    for i in range(3):  # slow items: 's/item' and minutes left, the longest timing texts
        app.submit('demo', {'items': 500, 'item_seconds': 1.3}, name=f'{LONG_NAME} {i}')
    wait_until(lambda: all(job['eta_seconds'] for job in app.client.get('/api/jobs').json()['items']), timeout=30)
    page.goto(app.url)
    cells = page.locator('tbody td.timing-cell')
    wait_until(lambda: cells.count() == 3 and 'left' in cells.first.inner_text(), timeout=15)
    screenshot(page, 'dashboard-1400')
    counts = page.locator('tbody td.detail-cell .mono').all()  # '1 / 500 steps', not '1 / 500' over 'steps'
    assert len(counts) == 3
    for cell in cells.all() + page.locator('tbody td.elapsed-cell').all() + counts:
        assert cell.evaluate(LINES_JS) == 1, cell.inner_text()


def test_a_long_history_row_stays_inside_its_card(app_process, page, tmp_path):
    long = ('photos from the summer holiday in the mountains, ' * 3).strip(', ')
    (tmp_path / 'in').mkdir()
    (tmp_path / 'in' / 'a.txt').write_text('a')
    app = app_process()  # the copy's result names its destination: a long line in History and in the parameters
    job = app.submit('batch', {'source': str(tmp_path / 'in'), 'operation': 'copy', 'dest': str(tmp_path / long)},
                     name='long result')
    wait_until(lambda: app.job(job['id'])['status'] == 'completed', timeout=30)
    page.goto(f"{app.url}/jobs/{job['id']}")
    history = page.locator('.q-card', has_text='Progress events')
    history.locator('tbody tr', has_text='completed').wait_for()
    screenshot(page, 'job-history-1400')
    card = history.bounding_box()
    table = history.locator('.q-table__middle')
    assert table.evaluate('(e) => e.scrollWidth <= e.clientWidth')  # no sideways scrolling inside the card
    assert page.evaluate('document.documentElement.scrollWidth <= window.innerWidth')  # nor of the page
    for row in history.locator('tbody tr').all():
        box = row.bounding_box()
        assert box['x'] + box['width'] <= card['x'] + card['width'], row.inner_text()
