"""The settings card "Allowed folders": the folders whose files jobs may read and write. Every path a job is given
(a video, a watermark image, a batch's source and destination, a command's working folder) must lie inside one.
"""

from __future__ import annotations

from nicegui import run, ui

from progress_app.errors import InvalidParams
from progress_app.runtime.service import JobService
from progress_app.ui.components.notify_settings import lines


class AllowedDirsCard:
    def __init__(self, service: JobService) -> None:
        self.service = service
        with ui.card().classes('w-full gap-3'):
            with ui.row().classes('items-center gap-2'):
                ui.icon('folder_special', size='sm').classes('text-primary')
                ui.label('Allowed folders').classes('text-lg font-medium')
            ui.label("Jobs may read and write files only inside these folders and their subfolders: a video, a "
                     "watermark image, a batch's source and destination, a command's working folder. Anything "
                     'else is refused when the job is submitted, and again when it starts.').classes('text-sm muted')
            self.dirs = ui.textarea('Allowed folders, one a line (absolute paths)',
                                    value='\n'.join(service.preferences().allowed_dirs)).props(
                'outlined autogrow').classes('w-full mono').mark('allowed-dirs')
            self.dirs.on('update:model-value', lambda: setattr(self.dirs, 'error', None))
            self.now = ui.label().classes('text-sm').mark('allowed-dirs-now')
            if service.config.allowed_dirs is not None:
                with ui.row().classes('items-center gap-1 text-xs text-orange-9 no-wrap').mark(
                        'allowed_dirs-override'):
                    ui.icon('info', size='xs')
                    ui.label('Given at start-up by --allowed-dirs or PROGRESS_APP_ALLOWED_DIRS, which wins over the '
                             'list saved here whenever the app starts.')
            with ui.row().classes('w-full justify-end'):
                ui.button('Save folders', icon='save', on_click=self.save).props('unelevated no-caps')
        self._show_now()

    def _show_now(self) -> None:
        allowed = self.service.allowed_dirs()
        if allowed is None:
            self.now.text = 'Now: any folder. With the list empty, that is the default while the app listens on ' \
                            'this machine only.'
            return
        text = 'Now allowed: ' + ', '.join(str(folder) for folder in allowed)
        if not self.service.preferences().allowed_dirs:
            text += ' (with the list empty: the data folder and your home folder, as others can reach the app)'
        self.now.text = text

    async def save(self) -> None:
        self.dirs.error = None
        try:
            updated = await run.io_bound(self.service.update_preferences, allowed_dirs=lines(self.dirs.value))
        except InvalidParams as exc:
            self.dirs.error = '; '.join(error['msg'] for error in exc.errors)
            return
        if updated is None:  # the page went away
            return
        self.dirs.value = '\n'.join(updated.allowed_dirs)
        self._show_now()
        ui.notify('Allowed folders saved', type='positive')
