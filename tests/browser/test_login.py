"""The login page in a real browser: wrong passwords, throttling, and getting in."""

from __future__ import annotations

from playwright.sync_api import TimeoutError as PlaywrightTimeout

from tests.helpers import wait_until

PASSWORD = 'open sesame'


def test_login_throttles_guesses_then_lets_the_owner_in(app_process, browser):
    app = app_process('--password', PASSWORD)
    context = browser.new_context()
    page = context.new_page()
    page.goto(f'{app.url}/jobs/1')
    page.wait_for_url('**/login?next=/jobs/1')
    field = page.get_by_label('Password')
    for left in (4, 3, 2, 1):
        field.fill(f'guess {left}')
        field.press('Enter')
        page.get_by_text(f'Wrong password. {left} more tr').wait_for()
    field.fill('last guess')
    field.press('Enter')
    page.get_by_text('Each further try has to wait a little longer.').wait_for()
    guesses = 0
    while not page.get_by_text('Too many failed attempts. Try again in').is_visible():  # the waits double
        assert guesses < 10
        guesses += 1
        field.fill(f'more {guesses}')
        field.press('Enter')
        page.wait_for_function('document.body.innerText.includes("Too many failed attempts")'
                               ' || document.activeElement.value === ""')  # refused, or counted and cleared

    def owner_tries() -> bool:  # never a lock-out: after the wait, the password opens the page asked for
        field.fill(PASSWORD)
        field.press('Enter')
        try:
            page.wait_for_url('**/jobs/1', timeout=1000)
        except PlaywrightTimeout:
            return False
        return True

    wait_until(owner_tries, timeout=70, interval=0.5)
    context.close()


def test_login_with_the_password_opens_the_page_asked_for(app_process, browser):
    app = app_process('--password', PASSWORD)
    context = browser.new_context()
    page = context.new_page()
    page.goto(f'{app.url}/new')
    page.wait_for_url('**/login?next=/new')
    page.get_by_label('Password').fill(PASSWORD)
    page.get_by_role('button', name='Log in').click()
    page.wait_for_url('**/new')
    page.get_by_text('What to run').wait_for()
    # The logged-in browser may use the API too (downloads, log).
    assert page.request.get(f'{app.url}/api/jobs').status == 200
    page.get_by_role('button', name='Log out').click()
    page.wait_for_url('**/login')
    assert page.request.get(f'{app.url}/api/jobs').status == 401
    context.close()


def test_the_login_page_follows_the_theme_too(app_process, browser):
    app = app_process('--password', PASSWORD)
    context = browser.new_context(color_scheme='dark')
    page = context.new_page()
    page.goto(f'{app.url}/history')
    page.get_by_label('Password').wait_for()
    assert page.url.startswith(f'{app.url}/login')
    page.wait_for_function('document.body.classList.contains("body--dark")')  # fails by timing out if never
    page.get_by_label('Password').fill(PASSWORD)
    page.keyboard.press('Enter')
    page.locator('text=Jobs that completed, failed or were cancelled').wait_for()
    assert page.evaluate('document.body.classList.contains("body--dark")')
    context.close()
