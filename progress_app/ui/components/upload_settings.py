"""The settings card "Uploads": the largest file (or set of files) a browser or script may send to the app, and
where uploads are kept until the jobs that use them are removed."""

from __future__ import annotations

from nicegui import run, ui

from progress_app.errors import InvalidParams
from progress_app.runtime.service import JobService
from progress_app.ui import format


class UploadSettingsCard:
    def __init__(self, service: JobService) -> None:
        self.service = service
        with ui.card().classes('w-full gap-3'):
            with ui.row().classes('items-center gap-2'):
                ui.icon('cloud_upload', size='sm').classes('text-primary')
                ui.label('Uploads').classes('text-lg font-medium')
            ui.label('Files sent from a browser (Upload, or dropped on the new-job page) or with POST /api/uploads '
                     f'are kept in {service.uploads.root} until the last job that uses them is removed.').classes(
                'text-sm muted break-words')
            with ui.row().classes('w-full items-start gap-x-4 gap-y-2'):
                self.limit = ui.number('Largest upload (MB)', value=service.preferences().upload_limit_mb,
                                       min=1, precision=0).props('outlined').classes('w-full sm:w-72').mark(
                    'upload-limit')
                self.limit.on('update:model-value', lambda: setattr(self.limit, 'error', None))
                self.now = ui.label().classes('text-sm muted pt-2 grow').mark('upload-limit-now')
                ui.button('Save limit', icon='save', on_click=self.save).props('unelevated no-caps')
        self._show_now()

    def _show_now(self) -> None:
        self.now.text = (f'Now {format.size(self.service.uploads.limit())}: a larger upload is refused before it '
                         'is stored (HTTP 413).')

    async def save(self) -> None:
        value = self.limit.value
        if value is None or not float(value).is_integer():
            self.limit.error = 'Enter a whole number of megabytes'
            return
        try:
            updated = await run.io_bound(self.service.update_preferences, upload_limit_mb=int(value))
        except InvalidParams as exc:
            self.limit.error = '; '.join(error['msg'] for error in exc.errors)
            return
        if updated is None:  # the page went away
            return
        self.limit.value = updated.upload_limit_mb
        self._show_now()
        ui.notify('Upload limit saved', type='positive')
