"""`/settings`: how many jobs run at once, how long finished jobs are kept, the theme; and the facts a user needs
when something is off: where the data lives, which database, the version, and why a plugin did not load.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from nicegui import ElementFilter, run, ui

from progress_app import __version__
from progress_app.errors import InvalidParams
from progress_app.runtime.service import JobService
from progress_app.ui.components.allowed_dirs import AllowedDirsCard
from progress_app.ui.components.notify_settings import NotifySettings
from progress_app.ui.components.tokens import security_section
from progress_app.ui.components.upload_settings import UploadSettingsCard
from progress_app.ui.theme import frame

THEMES = {'light': 'Light', 'dark': 'Dark', 'auto': 'Same as the system'}
DARK = {'auto': None, 'light': False, 'dark': True}


def number(value: float | None) -> int | float | None:
    """What a number field holds, as the preferences model wants it (3.0 → 3)."""
    return int(value) if isinstance(value, float) and value.is_integer() else value


class SettingsPage:
    def __init__(self, service: JobService) -> None:
        self.service = service
        self.settings = service.config

    def build(self) -> None:
        prefs = self.service.preferences()
        ui.label('Settings').classes('text-2xl font-semibold')
        with ui.row().classes('w-full gap-4 items-stretch'):
            with ui.card().classes('grow basis-[460px] gap-3'):
                self._heading('Running jobs', 'speed')
                self.workers = self._number('Jobs that run at once', prefs.workers, 'workers',
                                            'From 1 to 256. More jobs start at once if some are waiting; running '
                                            'ones are never stopped.')
                self.retention = self._number('Keep finished jobs for (days)', prefs.retention_days,
                                              'retention_days', 'Finished jobs, their history, logs and outputs '
                                              'older than this are deleted (checked every hour).')
                with ui.row().classes('w-full justify-end gap-2'):
                    ui.button('Reset', on_click=self._reset).props('flat no-caps')
                    self.save_button = ui.button('Save', icon='save', on_click=self.save).props('unelevated no-caps')
            with ui.card().classes('grow basis-[300px] gap-3'):
                self._heading('Appearance', 'palette')
                ui.label('Theme').classes('text-sm muted')
                self.theme = ui.toggle(THEMES, value=prefs.theme, on_change=lambda e: self.set_theme(e.value))
                self.theme.props('no-caps unelevated toggle-color=primary padding="6px 14px"').classes(
                    'shadow-sm self-start')
                ui.label('Applied and saved at once, on every page and tab you open from now on.').classes(
                    'text-xs muted')
        NotifySettings(self.service).build()
        security_section(self.service)
        AllowedDirsCard(self.service)
        UploadSettingsCard(self.service)
        self._about()
        self._plugins()

    @staticmethod
    def _heading(text: str, icon: str) -> None:
        with ui.row().classes('items-center gap-2'):
            ui.icon(icon, size='sm').classes('text-primary')
            ui.label(text).classes('text-lg font-medium')

    def _number(self, label: str, value: float, name: str, hint: str) -> ui.number:
        with ui.row().classes('w-full items-start gap-x-4 gap-y-0'):  # a phone: the hint under the field
            field = ui.number(label, value=value).props('outlined').classes('w-full sm:w-72 shrink-0')
            ui.label(hint).classes('text-sm muted pt-2')
        field.on('update:model-value', lambda: setattr(field, 'error', None))
        given = self.service.preferences_given_at_start()
        if name in given:
            with ui.row().classes('items-center gap-1 text-xs text-orange-9 no-wrap').mark(f'{name}-override'):
                ui.icon('info', size='xs')
                ui.label(f'Given at start-up by {given[name]}, which wins over the value saved here '
                         'whenever the app starts.')
        return field

    def _reset(self) -> None:
        prefs = self.service.preferences()
        for field, value in ((self.workers, prefs.workers), (self.retention, prefs.retention_days)):
            field.value = value
            field.error = None

    async def save(self) -> None:
        current = self.service.preferences()
        fields = {'workers': self.workers, 'retention_days': self.retention}
        changes = {name: number(field.value) for name, field in fields.items()
                   if number(field.value) != getattr(current, name)}
        for field in fields.values():
            field.error = None
        if not changes:
            ui.notify('Nothing changed', type='info')
            return
        missing = [name for name, value in changes.items() if value is None]
        if missing:
            for name in missing:
                fields[name].error = 'Enter a number'
            return
        try:
            updated = await run.io_bound(self.service.update_preferences, **changes)
        except InvalidParams as exc:
            for error in exc.errors:
                name = str(error['loc'][0]) if error['loc'] else ''
                if name in fields:
                    fields[name].error = error['msg']
                else:
                    ui.notify(str(exc), type='negative')
            return
        if updated is None:  # the page went away
            return
        self.workers.value, self.retention.value = updated.workers, updated.retention_days
        ui.notify('Settings saved', type='positive')

    async def set_theme(self, theme: str) -> None:
        await run.io_bound(self.service.update_preferences, theme=theme)
        for dark_mode in ElementFilter(kind=ui.dark_mode):  # frame() put one on the page
            dark_mode.value = DARK[theme]

    def _about(self) -> None:
        settings = self.settings
        with ui.card().classes('w-full gap-2'):
            self._heading('About this installation', 'info')
            with ui.grid(columns='auto 1fr').classes('w-full gap-x-6 gap-y-2 items-center'):
                for label, value in (('Version', f'Progress App {__version__}'),
                                     ('Data folder', str(Path(settings.data_dir).resolve())),
                                     ('Database', settings.db_url_shown),
                                     ('Plugins folder', str(Path(settings.plugins_dir).resolve())),
                                     ('Job functions run', executor_text(self.service.executor_info()))):
                    ui.label(label).classes('text-sm muted')
                    ui.label(value).classes('mono text-sm break-all').mark(f'fact-{label.lower().replace(" ", "-")}')

    def _plugins(self) -> None:
        report = self.service.plugins()
        titles = {k['name']: (k['title'], k['source']) for k in self.service.kinds()}
        with ui.card().classes('w-full gap-3'):
            self._heading('Plugins', 'extension')
            ui.label('Every .py file in the plugins folder is loaded when the app starts; restart the app after '
                     'adding or changing one.').classes('text-sm muted')
            if report['kinds']:
                with ui.row().classes('gap-2'):
                    for name in report['kinds']:
                        title, source = titles.get(name, (name, ''))
                        ui.chip(f'{name} · {title}', icon='check_circle', color='green-1', text_color='green-10'
                                ).props('square').tooltip(f'from {source}')
            elif not report['problems']:
                ui.label('No plugin kinds are loaded.').classes('text-sm')
            for problem in report['problems']:
                self._problem(problem)
            for text in report['recovery']:
                with ui.row().classes('items-center gap-2 text-orange-9'):
                    ui.icon('warning', size='sm')
                    ui.label(f'At start-up: {text}').classes('text-sm')

    @staticmethod
    def _problem(problem: Any) -> None:
        with ui.card().classes('w-full border-l-4 border-red-600 gap-1').props('flat bordered'):
            with ui.row().classes('items-center gap-2 no-wrap'):
                ui.icon('error', color='red-7', size='sm')
                where = Path(problem.path).name + (f', line {problem.line}' if problem.line else '')
                ui.label(f'{where} was not loaded').classes('font-medium')
            ui.label(problem.error).classes('mono text-sm text-negative break-all').mark('plugin-error')
            ui.label(problem.path).classes('mono text-xs muted break-all')
            if problem.detail:
                with ui.expansion('Traceback').classes('w-full').props('dense'):
                    ui.code(problem.detail, language='python').classes('w-full text-xs')


def executor_text(info: dict[str, Any]) -> str:
    """"threads: in the app's own process", 'processes: 2 Dask workers (scheduler tcp://127.0.0.1:40123)'."""
    if info['executor'] == 'threads':
        return "threads: in the app's own process"
    workers = f"{info['workers']} Dask worker{'s' if info['workers'] != 1 else ''}"
    return f"{info['executor']}: {workers}" + (f" (scheduler {info['address']})" if info['address'] else '')


def create(service: JobService) -> None:
    @ui.page('/settings')
    def settings_page() -> None:
        with frame(service, 'Settings', '/settings'):
            SettingsPage(service).build()
