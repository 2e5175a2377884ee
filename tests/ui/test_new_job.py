"""The new-job form, generated from each kind's params model, with the simulated user."""

from __future__ import annotations

import pytest
from nicegui import ui
from nicegui.testing import User

from progress_app.ui.components.params_form import limits_text


def field(user: User, label: str) -> ui.element:
    """The input so labelled (not a text that happens to contain the label too)."""
    fields = [element for element in user.find(label).elements if hasattr(element, 'value')]
    assert fields, f'no field labelled {label!r}'
    return fields[-1]


def set_all(user: User, label: str, value: object) -> None:
    """Set every field so labelled: a page built twice on a busy machine must not leave the one read untouched."""
    for element in user.find(label).elements:
        element.value = value


async def test_form_is_generated_from_the_params_model(user: User):
    await user.open('/new?kind=demo')
    await user.should_see('Demo job')
    await user.should_see('Items')
    await user.should_see('Item seconds')
    await user.should_see('Fail at item')
    items = field(user, 'Items')
    assert items.value == 100
    assert items.props['hint'] == 'Items to process (1–10,000,000)'  # the model's bounds, in words


async def test_a_field_uses_the_title_its_kind_gave_it(user: User):
    await user.open('/new?kind=video')
    await user.should_see('Quality (CRF)')
    await user.should_not_see('Crf')


@pytest.mark.parametrize(('spec', 'text'), [
    ({'minimum': 1, 'maximum': 100}, '1–100'),
    ({'minimum': 1}, 'at least 1'),
    ({'exclusiveMinimum': 0, 'maximum': 1}, 'more than 0, at most 1'),
    ({'exclusiveMaximum': 5}, 'less than 5'),
    ({'minimum': 0.5, 'maximum': 86400.0}, '0.5–86400'),
    ({}, ''),
])
def test_number_bounds_read_as_words(spec, text):
    assert limits_text(spec) == text


async def test_start_a_demo_job_from_the_form(user: User, service):
    await user.open('/new?kind=demo')
    set_all(user, 'Items', 3)
    set_all(user, 'Item seconds', 0)
    user.find('Name (optional)').type('from the form')
    user.find('Start job').click()
    await user.should_see('Progress over time')  # the job page opens
    listing = service.list()
    assert listing['total'] == 1
    job = listing['items'][0]
    assert job['name'] == 'from the form' and job['params']['items'] == 3


async def test_bad_value_shows_the_message_and_creates_nothing(user: User, service):
    await user.open('/new?kind=demo')
    set_all(user, 'Items', -5)
    user.find('Start job').click()
    await user.should_see('Please correct the fields marked in red.')
    assert field(user, 'Items').error == 'Input should be greater than or equal to 1'
    assert service.list()['total'] == 0
    set_all(user, 'Items', 2)  # corrected: the form takes it this time
    user.find('Start job').click()
    await user.should_see('Progress over time')
    assert service.list()['items'][0]['params']['items'] == 2


async def test_command_with_missing_folder_is_refused_inline(user: User, service):
    await user.open('/new?kind=command')
    user.find('Command *').type('ls')
    user.find('Working folder').type('/no/such/folder')
    user.find('Start job').click()
    await user.should_see('Please correct the fields marked in red.')
    assert 'does not exist' in user.find('Working folder').elements.pop().error
    assert service.list()['total'] == 0


async def test_switching_kind_redraws_the_form(user: User):
    await user.open('/new')
    await user.should_see('Shell command')
    user.find(marker='kind-demo').click()
    await user.should_see('Item seconds')


async def test_notify_me_is_kept_with_the_job(user: User, service):
    await user.open('/new?kind=demo')
    set_all(user, 'Items', 1)
    user.find('Notify me when it ends').click()
    user.find('Start job').click()
    await user.should_see('Progress over time')
    assert service.list()['items'][0]['options']['notify'] is True


async def test_a_job_can_name_where_its_notifications_go(user: User, service):
    await user.open('/new?kind=demo')
    set_all(user, 'Items', 1)
    user.find(marker='notify-to').elements.pop().value = 'json://127.0.0.1:9/a not-a-url'
    user.find('Start job').click()
    await user.should_see('not-a-url')  # under the field: the URL Apprise refused
    assert service.list()['total'] == 0
    user.find(marker='notify-to').elements.pop().value = 'json://127.0.0.1:9/a'
    user.find('Start job').click()
    await user.should_see('Progress over time', retries=100)
    assert service.list()['items'][0]['options']['notify_to'] == ['json://127.0.0.1:9/a']


async def test_a_batch_shows_and_sends_the_options_of_the_chosen_operation_only(user: User, service, tmp_path):
    (tmp_path / 'a.png').write_bytes(b'not really a picture')
    await user.open('/new?kind=batch')
    await user.should_see('Source folder')
    await user.should_not_see('Width')  # no operation chosen yet: no operation's options
    user.find('Source folder').type(str(tmp_path))
    operation = next(e for e in user.find(ui.select).elements if e.props.get('label') == 'Operation *')
    operation.value = 'image_resize'
    await user.should_see('Width')
    await user.should_not_see('Quality (CRF)')
    set_all(user, 'Width', 64)
    operation.value = 'checksum'  # the width typed for a resize must not go along with a checksum
    await user.should_not_see('Width')
    user.find('Start job').click()
    await user.should_see('Progress over time')
    job = service.list()['items'][0]
    assert job['params']['operation'] == 'checksum' and job['params']['width'] is None


async def test_a_double_click_starts_one_job(user: User, service):
    await user.open('/new?kind=demo')
    user.find('Name (optional)').type('once')
    user.find('Start job').click()
    user.find('Start job').click()  # before the first submission has come back
    await user.should_see('Progress over time')
    assert [job['name'] for job in service.list()['items']] == ['once']



def snippet(user: User, name: str) -> str:
    return user.find(marker=f'snippet-{name}').elements.pop().content


async def test_the_page_shows_how_to_report_from_a_script_with_its_own_address(user: User):
    await user.open('/new')
    await user.should_see('Track a script that runs elsewhere')
    user.find('Track a script that runs elsewhere').click()
    assert snippet(user, 'setup') == 'export PROGRESS_APP_URL=http://test'  # the address the page was reached at
    assert 'from progress_app.client import tqdm' in snippet(user, 'tqdm')
    assert "resume_key='" in snippet(user, 'run') and 'run.checkpoint(' in snippet(user, 'run')
    assert 'progress-app run -- rsync -a --info=progress2 src/ dst/' in snippet(user, 'command')
    http = snippet(user, 'http')
    assert 'http://test/api/runs' in http and 'http://test/api/jobs/$id/report' in http
    assert 'Authorization' not in http


@pytest.fixture
def password(monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv('PROGRESS_APP_PASSWORD', 'open sesame')
    return 'open sesame'


async def test_behind_a_password_the_snippets_send_a_token(password, user: User):
    await user.open('/login')
    user.find('Password').type(password)
    user.find('Log in').click()
    await user.should_see('Dashboard')
    await user.open('/new')
    await user.should_see('Track a script that runs elsewhere')
    assert "export PROGRESS_APP_TOKEN='<an API token from Settings, or the password>'" in snippet(user, 'setup')
    assert snippet(user, 'http').count('-H "Authorization: Bearer $PROGRESS_APP_TOKEN"') == 3
