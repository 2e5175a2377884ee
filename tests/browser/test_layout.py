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


def phone(browser, scheme: str = 'light'):
    return browser.new_context(viewport={'width': 390, 'height': 844}, color_scheme=scheme, is_mobile=True,
                               has_touch=True).new_page()


def test_a_phone_gets_a_one_row_header_with_a_menu_and_a_card_per_job(app_process, browser):
    app = app_process()
    running = app.submit('demo', {'items': 500, 'item_seconds': 0.5}, name=LONG_NAME)
    done = app.submit('demo', {'items': 1, 'item_seconds': 0}, name='finished quickly')
    wait_until(lambda: app.job(done['id'])['status'] == 'completed' and app.job(running['id'])['eta_seconds'],
               timeout=30)
    page = phone(browser)
    page.goto(app.url)
    cards = page.locator('.job-card')
    cards.nth(1).wait_for()
    assert cards.count() == 2
    assert page.locator('header').bounding_box()['height'] <= 64  # one row, not three
    assert not page.locator('header').get_by_role('button', name='History').is_visible()
    assert page.evaluate('document.documentElement.scrollWidth <= window.innerWidth')  # nothing sideways
    card = cards.filter(has_text='summer holiday')
    name = card.locator('.job-card-name')
    shown = name.evaluate('(e) => e.getBoundingClientRect().height / parseFloat(getComputedStyle(e).lineHeight)')
    assert round(shown) <= 2, 'the name on two lines at most, not four'
    card.locator('.q-linear-progress').wait_for()
    wait_until(lambda: 'left' in card.locator('.job-card-timing').inner_text(), timeout=15)
    screenshot(page, 'dashboard-390')
    card.get_by_role('button', name='Pause').click()  # the job's actions are on its card
    wait_until(lambda: app.job(running['id'])['status'] == 'paused', timeout=15)
    card.locator('.q-badge', has_text='paused').wait_for()
    page.get_by_role('button', name='Menu').click()
    page.locator('.q-drawer').get_by_text('History').click()
    page.wait_for_url(f'{app.url}/history')
    page.context.close()


def test_a_wide_screen_keeps_the_table_and_the_header_buttons(app_process, page):
    app = app_process()
    job = app.submit('demo', {'items': 1, 'item_seconds': 0}, name='in a table')
    wait_until(lambda: app.job(job['id'])['status'] == 'completed', timeout=30)
    page.goto(app.url)
    page.locator('tbody tr', has_text='in a table').wait_for()
    assert page.locator('.job-card').count() == 0
    assert page.locator('header').get_by_role('button', name='History').is_visible()
    assert not page.get_by_role('button', name='Menu').is_visible()
