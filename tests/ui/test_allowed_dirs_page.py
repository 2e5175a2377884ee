"""Allowed folders in the UI: changed on the settings page, and a refused path shown at its field in the new-job
form (with the simulated user)."""

from __future__ import annotations

from pathlib import Path

from nicegui import ElementFilter, ui
from nicegui.testing import User

from progress_app.runtime.service import JobService
from tests.helpers import until


def folders_field(user: User) -> ui.textarea:
    with user.client:
        return next(iter(ElementFilter(kind=ui.textarea, marker='allowed-dirs')))


async def test_the_settings_page_changes_the_allowed_folders(user: User, service: JobService, tmp_path: Path):
    await user.open('/settings')
    await user.should_see('Allowed folders')
    await user.should_see('Now: any folder')  # loopback, nothing chosen
    folders_field(user).value = f'{tmp_path}\n\n'
    user.find('Save folders').click()
    await user.should_see('Allowed folders saved')
    assert service.preferences().allowed_dirs == [str(tmp_path)]
    assert service.allowed_dirs() == (tmp_path.resolve(),)
    await user.should_see(f'Now allowed: {tmp_path.resolve()}')

    folders_field(user).value = 'relative/folder'
    user.find('Save folders').click()
    await until(lambda: folders_field(user).error)
    assert 'is not an absolute path' in folders_field(user).error
    assert service.preferences().allowed_dirs == [str(tmp_path)]


async def test_a_path_outside_is_shown_at_its_field(user: User, service: JobService, tmp_path: Path):
    service.update_preferences(allowed_dirs=[str(tmp_path)])
    await user.open('/new?kind=command')
    user.find('Command *').type('true')
    user.find('Working folder').type('/etc')
    user.find('Start job').click()
    await user.should_see('Please correct the fields marked in red.')
    assert user.find('Working folder').elements.pop().error == (
        "'/etc' is outside the allowed folders (Settings → Allowed folders, --allowed-dirs): "
        f'{tmp_path.resolve()}')
    assert service.list()['total'] == 0
