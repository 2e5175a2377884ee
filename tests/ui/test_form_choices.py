"""The new-job form shows a choice's values by their titles and sends the values; an environment is edited as
rows of name and value, with its mistakes told at the field."""

from __future__ import annotations

from nicegui import ui
from nicegui.testing import User

from progress_app.ui.components.params_form import FormError, ParamsForm
from tests.helpers import until


def select(user: User, label: str) -> ui.select:
    return next(e for e in user.find(ui.select).elements if e.props.get('label') == label)


def shown(element: ui.select) -> list[str]:
    return [option['label'] for option in element.props['options']]


async def test_choices_show_titles_and_send_values(user: User, service, tmp_path):
    (tmp_path / 'a.png').write_bytes(b'not really a picture')
    await user.open('/new?kind=batch')
    operation = select(user, 'Operation *')
    assert 'Resize images' in shown(operation) and 'image_resize' not in shown(operation)
    user.find('Source folder').type(str(tmp_path))
    operation.value = 'video_transcode'
    await user.should_see('Quality (CRF)')
    assert shown(select(user, 'Codec'))[0] == 'H.264'
    assert 'AAC' in shown(select(user, 'Audio'))
    assert 'Very slow' in shown(select(user, 'Preset'))
    operation.value = 'checksum'
    user.find('Start job').click()
    await until(lambda: service.list()['total'] == 1)  # submitted
    assert service.list()['items'][0]['params']['operation'] == 'checksum'


async def start_true_with_env(user: User, name: str, value: str) -> None:
    await user.open('/new?kind=command')
    user.find('Command *').type('true')
    user.find(marker='key-values-add').click()
    user.find(marker='key-values-name').type(name)
    user.find(marker='key-values-value').type(value)
    user.find('Start job').click()


async def test_the_command_form_says_run_again_and_edits_the_environment_as_rows(user: User, service):
    await user.open('/new?kind=command')
    assert shown(select(user, 'On interrupt')) == ['Run again', 'Fail']
    await start_true_with_env(user, 'GREETING', 'hi there')
    await until(lambda: service.list()['total'] == 1)  # submitted
    job = service.list()['items'][0]
    assert job['params']['env'] == {'GREETING': 'hi there'} and job['params']['on_interrupt'] == 'rerun'


async def test_a_bad_environment_entry_is_told_at_the_field(user: User, service):
    await start_true_with_env(user, 'A=B', 'x')
    await user.should_see('is not a valid environment variable')
    user.find(marker='key-values-add').click()
    names = list(user.find(marker='key-values-name').elements)
    names[0].value = 'A'
    names[1].value = 'A'
    user.find('Start job').click()
    await user.should_see("'A' is given twice")
    assert service.list()['total'] == 0


async def test_other_json_is_edited_in_the_json_editor_and_read_when_valid(user: User):
    read: list[object] = []

    @ui.page('/json-field')
    def page() -> None:
        form = ParamsForm({'properties': {'sizes': {'type': 'array', 'items': {'type': 'integer'},
                                                    'description': 'Sizes'}}})

        def submit() -> None:
            try:
                read.append(form.values())
            except FormError as exc:
                exc.element.error = str(exc)
        ui.button('Read', on_click=submit)

    await user.open('/json-field')
    await user.should_not_see(kind=ui.textarea)
    editor = user.find(ui.json_editor)
    editor.trigger('content_change', {'content': {'text': '[1, 2'}, 'errors': []})
    user.find('Read').click()
    await user.should_see('not valid JSON')
    editor.trigger('content_change', {'content': {'text': '[1, 2]'}, 'errors': []})
    user.find('Read').click()
    await until(lambda: read == [{'sizes': [1, 2]}])
