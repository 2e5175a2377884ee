"""The settings page with NiceGUI's simulated user (no browser)."""

from __future__ import annotations

from pathlib import Path

import pytest
from nicegui import ElementFilter, ui
from nicegui.testing import User

from progress_app.config import Settings, parse_settings
from progress_app.runtime.engine.engine import Engine
from progress_app.runtime.service import JobService
from tests.helpers import until
from tests.notify_endpoint import Endpoint, closed_port

BROKEN_PLUGIN = '''from progress_app import job_kind

def helper(:
    pass
'''
GOOD_PLUGIN = '''from progress_app import JobContext, job_kind


@job_kind('s_hello', title='Say hello (settings test)')
def hello(ctx: JobContext) -> dict:
    return {}
'''


@pytest.fixture
def saved_workers(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without a start-up value for workers, the saved one is in effect (request before `user`)."""
    monkeypatch.delenv('PROGRESS_APP_WORKERS')



def field(user: User, label: str) -> ui.number:
    with user.client:
        return next(e for e in ElementFilter(kind=ui.number) if e.props.get('label') == label)


def dark_mode(user: User) -> bool | None:
    with user.client:
        return next(iter(ElementFilter(kind=ui.dark_mode))).value


def stored_preferences():
    """What a fresh engine on the same data dir reads, as after a restart."""
    engine = Engine(parse_settings([]))
    try:
        return JobService(engine).preferences()
    finally:
        engine.repo.engine.dispose()


async def test_changing_workers_applies_at_once_and_is_kept(saved_workers, user: User, service: JobService):
    await user.open('/settings')
    await user.should_see('Jobs that run at once')
    assert field(user, 'Jobs that run at once').value == 4
    field(user, 'Jobs that run at once').value = 7
    field(user, 'Keep finished jobs for (days)').value = 14
    user.find('Save').click()
    await user.should_see('Settings saved')
    assert service._engine.dispatcher.limit == 7
    assert service.preferences().workers == 7 and service.preferences().retention_days == 14
    assert (stored_preferences().workers, stored_preferences().retention_days) == (7, 14)
    await user.open('/settings')
    await user.should_see('Jobs that run at once')
    assert field(user, 'Jobs that run at once').value == 7


@pytest.mark.parametrize(('label', 'value', 'message'), [
    ('Jobs that run at once', 0, 'greater than or equal to 1'),
    ('Jobs that run at once', 2.5, 'integer'),
    ('Keep finished jobs for (days)', -1, 'greater than 0'),
    ('Keep finished jobs for (days)', None, 'Enter a number'),
])
async def test_a_bad_value_is_explained_at_the_field_and_changes_nothing(user: User, service: JobService, label,
                                                                        value, message):
    before = service.preferences()
    await user.open('/settings')
    await user.should_see(label)
    field(user, label).value = value
    user.find('Save').click()
    await user.should_see(message)
    assert message in (field(user, label).error or '')
    assert service.preferences() == before and service._engine.dispatcher.limit == 2
    assert stored_preferences() == before


async def test_two_bad_values_are_both_shown(user: User, service: JobService):
    await user.open('/settings')
    await user.should_see('Save')
    field(user, 'Jobs that run at once').value = 0
    field(user, 'Keep finished jobs for (days)').value = -1
    user.find('Save').click()
    await user.should_see('greater than 0')
    assert 'greater than or equal to 1' in field(user, 'Jobs that run at once').error
    assert service._engine.repo.get_settings() == {}


async def test_a_start_up_value_is_pointed_out(user: User):
    await user.open('/settings')  # the UI tests' environment sets PROGRESS_APP_WORKERS
    await user.should_see(marker='workers-override')
    await user.should_not_see(marker='retention_days-override')


async def test_theme_applies_at_once_and_on_every_page(user: User, service: JobService):
    await user.open('/settings')
    await user.should_see('Appearance')
    assert dark_mode(user) is None  # auto
    with user.client:
        next(iter(ElementFilter(kind=ui.toggle))).value = 'dark'
    await until(lambda: service.preferences().theme == 'dark')
    assert dark_mode(user) is True
    assert stored_preferences().theme == 'dark'
    await user.open('/')
    await user.should_see('Dashboard')
    assert dark_mode(user) is True


async def test_facts_and_plugins(data_dir: Path, user_setup_plugins, user: User, service: JobService):
    await user.open('/settings')
    await user.should_see('About this installation')
    await user.should_see(str(data_dir.resolve()))
    await user.should_see(f'sqlite:///{(data_dir / "progress.db").resolve()}')
    await user.should_see('Progress App 0.1.0')
    await user.should_see("threads: in the app's own process")  # where job functions run
    await user.should_see('s_hello · Say hello (settings test)')
    await user.should_see('broken.py, line 3 was not loaded')
    await user.should_see('SyntaxError')
    await user.should_see(str(data_dir / 'plugins' / 'broken.py'))
    await user.should_see('Traceback')


@pytest.fixture
def user_setup_plugins(data_dir: Path) -> None:
    """Plugins are read when the app starts, so they are written before the `user` fixture starts it."""
    plugins = data_dir / 'plugins'
    plugins.mkdir(parents=True)
    (plugins / 'broken.py').write_text(BROKEN_PLUGIN)
    (plugins / 'hello.py').write_text(GOOD_PLUGIN)


def test_database_url_hides_the_password():
    def shown(url: str) -> str:
        return Settings(database_url=url).db_url_shown

    assert shown('postgresql://me:s3cret@db.local:5432/progress') == 'postgresql://me:***@db.local:5432/progress'
    assert shown('sqlite:////data/progress.db') == 'sqlite:////data/progress.db'
APPRISE_RETRIES = 150  # ~15 s: the first use of Apprise loads its plugins, slow on a busy machine



def urls_field(user: User) -> ui.textarea:
    return user.find('Notification URLs, one a line').elements.pop()


async def test_notification_urls_are_checked_and_saved(user: User, service: JobService, endpoint: Endpoint):
    await user.open('/settings')
    await user.should_see('Notifications')
    urls_field(user).value = f'{endpoint.url}\nnosuchservice://me'
    user.find('Send one when').elements.pop().value = 'both'
    user.find('Save notifications').click()
    await user.should_see("'nosuchservice://me' is not a valid Apprise URL", retries=APPRISE_RETRIES)
    assert service.preferences().notify_urls == []
    urls_field(user).value = f'{endpoint.url}\n\n'
    user.find('Save notifications').click()
    await user.should_see('Notification settings saved', retries=APPRISE_RETRIES)
    assert (service.preferences().notify_urls, service.preferences().notify_on) == ([endpoint.url], 'both')
    assert stored_preferences().notify_urls == [endpoint.url]


async def test_a_test_notification_shows_success_or_the_error(user: User, endpoint: Endpoint):
    await user.open('/settings')
    await user.should_see('Send test notification')
    urls_field(user).value = endpoint.url
    user.find('Send test notification').click()
    await user.should_see('Test notification sent to 1 URL', retries=APPRISE_RETRIES)
    assert endpoint.titles() == ['Progress App test notification']
    urls_field(user).value = f'json://127.0.0.1:{closed_port()}/'
    user.find('Send test notification').click()
    await user.should_see('Not sent: A Connection error occurred', retries=APPRISE_RETRIES)


async def test_the_last_failed_notification_is_shown(user: User, service: JobService):
    service.update_preferences(notify_urls=[f'json://127.0.0.1:{closed_port()}/'], notify_on='both')
    job = service.submit('demo', {'items': 2, 'item_seconds': 0})
    await until(service.last_notification_error, timeout=15)
    assert service.get(job['id'])['status'] == 'completed'
    await user.open('/settings')
    await user.should_see(marker='notify-last-error')
    await user.should_see(f"for job #{job['id']}): A Connection error occurred")
