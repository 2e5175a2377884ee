"""The settings page's security part: API tokens and the command-kind switch, with the simulated user."""

from __future__ import annotations

from nicegui import ElementFilter, ui
from nicegui.testing import User

from progress_app.runtime.service import JobService
from tests.helpers import until


def shown_secret(user: User) -> str:
    with user.client:
        return next(iter(ElementFilter(marker='token-secret'))).text


async def test_create_list_and_revoke_a_token(user: User, service: JobService):
    await user.open('/settings')
    await user.should_see('API tokens')
    await user.should_see(marker='tokens-empty')
    user.find('Token name').type('backup script')
    user.find('Create token').click()
    await user.should_see('it will not be shown again', retries=50)
    secret = shown_secret(user)
    assert secret.startswith('pa_') and service.tokens.verify(secret)
    await user.should_see(marker='token-copy')
    user.find(marker='token-done').click()

    [token] = service.tokens.list()
    assert token['name'] == 'backup script'
    await user.should_see(marker=f"token-{token['id']}")
    await user.should_see(token['hint'])
    await user.should_not_see(secret)  # only the hint stays on the page

    user.find(marker=f"revoke-{token['id']}").click()
    await user.should_see('Revoke the token backup script?')
    user.find(marker='confirm-revoke').click()
    await until(lambda: not service.tokens.list())
    assert not service.tokens.verify(secret)
    await user.should_see(marker='tokens-empty')


async def test_a_token_needs_a_name(user: User, service: JobService):
    await user.open('/settings')
    user.find('Create token').click()
    with user.client:
        name = next(e for e in ElementFilter(kind=ui.input) if e.props.get('label') == 'Token name')
    await until(lambda: name.error)
    assert 'name' in name.error and service.tokens.list() == []


async def test_switch_turns_the_command_kind_off_and_on(user: User, service: JobService):
    await user.open('/settings')
    await user.should_see('Allow the command kind')
    user.find(marker='allow-commands').click()
    await until(lambda: not service.preferences().allow_commands)
    await user.open('/new')
    await user.should_not_see(marker='kind-command')
    await user.open('/settings')
    user.find(marker='allow-commands').click()
    await until(lambda: service.preferences().allow_commands)
    await user.open('/new')
    await user.should_see(marker='kind-command')
