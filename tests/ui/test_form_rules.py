"""A rule over several fields is told at those fields, in words, not below the form as 'params: ...'."""

from __future__ import annotations

from nicegui import ui
from nicegui.testing import User


def field(user: User, label: str) -> ui.element:
    return next(e for e in user.find(label).elements if e.props.get('label') == label)


async def test_a_resize_without_a_size_is_told_at_width_and_height(user: User, service, tmp_path):
    (tmp_path / 'a.png').write_bytes(b'not really a picture')
    await user.open('/new?kind=batch')
    user.find('Source folder').type(str(tmp_path))
    next(e for e in user.find(ui.select).elements if e.props.get('label') == 'Operation *').value = 'image_resize'
    await user.should_see('Width')
    user.find('Start job').click()
    await user.should_see('Please correct the fields marked in red.')
    assert field(user, 'Width').error == 'Resizing needs a width, a height or both'
    assert field(user, 'Height').error == 'Resizing needs a width, a height or both'
    await user.should_not_see('params:')
    assert service.list()['total'] == 0


async def test_a_program_that_is_not_there_is_told_at_the_command(user: User, service):
    await user.open('/new?kind=command')
    user.find('Command *').type('no-such-program-4711')
    user.find('Start job').click()
    await user.should_see('Please correct the fields marked in red.')
    assert "program 'no-such-program-4711' was not found" in field(user, 'Command *').error
    await user.should_not_see('params:')
