"""The Browse dialog of path fields (with the simulated user): it opens at home, goes into folders and up, picks a
file or a folder, hides hidden files until asked, and stays inside the allowed folders. And the upload limit on
the settings page."""

from __future__ import annotations

from pathlib import Path

import pytest
from nicegui import ElementFilter, ui
from nicegui.testing import User
from nicegui.testing.user_interaction import UserInteraction

from progress_app.runtime.service import JobService
from tests.helpers import until


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A home folder of the test's own (asked for before `user`, which builds the app)."""
    home = tmp_path / 'home'
    (home / 'Videos' / 'old').mkdir(parents=True)
    (home / 'Videos' / 'clip.mp4').write_bytes(b'video')
    (home / 'Videos' / '.thumbnails').mkdir()
    (home / 'notes.txt').write_text('hello')
    monkeypatch.setenv('HOME', str(home))
    return home


def entry(user: User, name: str) -> UserInteraction:
    """The dialog's row of `name`, to click."""
    with user.client:
        for item in ElementFilter(kind=ui.item, marker='browse-entry'):
            if any(isinstance(child, ui.item_label) and child.text == name for child in item.descendants()):
                return UserInteraction(user, {item}, None)
    raise AssertionError(f'no entry {name!r} in the dialog')


def names(user: User) -> list[str]:
    with user.client:
        return [child.text for item in ElementFilter(kind=ui.item, marker='browse-entry')
                for child in item.descendants() if isinstance(child, ui.item_label) and not child.props.get('caption')]


def field(user: User, label: str) -> ui.input:
    with user.client:
        return next(e for e in ElementFilter(kind=ui.input) if e.props.get('label', '').startswith(label))


async def test_browse_goes_into_folders_and_picks_a_file(home: Path, user: User, service: JobService):
    await user.open('/new?kind=video')
    user.find(marker='browse-input').click()
    await user.should_see('Choose a file')
    await until(lambda: names(user) == ['Videos', 'notes.txt'])  # folders first, nothing hidden
    entry(user, 'Videos').click()
    await until(lambda: names(user) == ['old', 'clip.mp4'])
    entry(user, 'clip.mp4').click()
    await user.should_see('Choose clip.mp4')
    user.find('Choose clip.mp4').click()
    await until(lambda: field(user, 'Input').value == str(home / 'Videos' / 'clip.mp4'))

    user.find(marker='browse-input').click()  # again: it opens where the last pick was
    await until(lambda: names(user) == ['old', 'clip.mp4'])
    user.find('Hidden files').click()
    await until(lambda: names(user) == ['.thumbnails', 'old', 'clip.mp4'])
    user.find(marker='browse-up').click()
    await until(lambda: names(user)[:1] == ['Videos'])


async def open_videos(user: User, kind: str, name: str, title: str) -> None:
    """Open the `kind`'s form, the dialog of its field `name`, and in it the home folder's Videos."""
    await user.open(f'/new?kind={kind}')
    user.find(marker=f'browse-{name}').click()
    await user.should_see(title)
    await until(lambda: 'Videos' in names(user))
    entry(user, 'Videos').click()
    await until(lambda: names(user) == ['old', 'clip.mp4'])


async def test_a_folder_field_picks_the_folder_shown(home: Path, user: User):
    await open_videos(user, 'batch', 'source', 'Choose a folder')
    user.find('Choose this folder').click()
    await until(lambda: field(user, 'Source folder').value == str(home / 'Videos'))


async def test_the_dialog_stays_inside_the_allowed_folders(home: Path, user: User, service: JobService,
                                                           tmp_path: Path):
    allowed = tmp_path / 'allowed'
    (allowed / 'inside').mkdir(parents=True)
    (allowed / 'away').symlink_to(home, target_is_directory=True)  # a link out is not shown
    service.update_preferences(allowed_dirs=[str(allowed)])
    await user.open('/new?kind=video')
    user.find(marker='browse-input').click()
    await user.should_see('Choose a file')
    await until(lambda: names(user) == ['inside'])  # home is not allowed: it starts in the allowed folder
    with user.client:
        location = next(iter(ElementFilter(kind=ui.input, marker='browse-location')))
    assert location.value == str(allowed.resolve())
    user.find(marker='browse-up').click()  # the top of what is allowed: up goes nowhere
    location.value = str(home)
    user.find(marker='browse-location').trigger('keydown.enter')
    await until(lambda: location.error)
    assert 'outside the allowed folders' in location.error
    assert names(user) == ['inside'] and location.value == str(home)
    assert service.browser.list(None).folder == str(allowed.resolve())


async def test_the_upload_limit_is_a_setting(user: User, service: JobService):
    await user.open('/settings')
    await user.should_see('Uploads')
    await user.should_see('Now 20.0 GB')
    with user.client:
        limit = next(iter(ElementFilter(kind=ui.number, marker='upload-limit')))
    limit.value = 0
    user.find('Save limit').click()
    await until(lambda: limit.error)
    assert 'greater than or equal to 1' in limit.error
    limit.value = 250
    user.find('Save limit').click()
    await user.should_see('Now 250.0 MB')
    assert service.preferences().upload_limit_mb == 250 and service.uploads.limit() == 250_000_000


async def test_an_output_takes_a_folder_and_a_new_file_name(home: Path, user: User):
    await open_videos(user, 'video', 'output', 'Where to write it')
    with user.client:
        name = next(iter(ElementFilter(kind=ui.input, marker='browse-name')))
    user.find(marker='browse-choose').click()  # no name yet
    await until(lambda: name.error)
    name.value = 'smaller.mp4'
    user.find(marker='browse-choose').click()
    await until(lambda: field(user, 'Output').value == str(home / 'Videos' / 'smaller.mp4'))
