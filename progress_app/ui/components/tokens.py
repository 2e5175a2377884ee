"""The settings page's "API tokens" card: the tokens (name, hint, created), a new one shown once, revoke."""

from __future__ import annotations

from datetime import datetime

from nicegui import run, ui

from progress_app.errors import InvalidParams, ProgressAppError
from progress_app.runtime.service import JobService


class TokensCard:
    def __init__(self, service: JobService) -> None:
        self.service = service
        with ui.card().classes('w-full gap-3'):
            with ui.row().classes('items-center gap-2'):
                ui.icon('key', size='sm').classes('text-primary')
                ui.label('API tokens').classes('text-lg font-medium')
            ui.label('Scripts and other programs send a token as "Authorization: Bearer <token>" when the app '
                     'runs with a password. The password itself also works as a token.').classes('text-sm muted')
            with ui.row().classes('w-full items-start gap-2'):
                self.name = ui.input('Token name', placeholder='e.g. backup script').props('outlined dense').classes(
                    'w-72')
                self.name.on('keydown.enter', self.create)
                self.name.on('update:model-value', lambda: setattr(self.name, 'error', None))
                ui.button('Create token', icon='add', on_click=self.create).props('unelevated no-caps')
            self.list = ui.column().classes('w-full gap-1')
            self.dialogs = ui.element()
        self.draw()

    def draw(self) -> None:
        tokens = self.service.tokens.list()
        self.list.clear()
        with self.list:
            if not tokens:
                ui.label('No API tokens yet.').classes('text-sm').mark('tokens-empty')
            for token in tokens:
                with ui.row().classes('w-full items-center gap-4 no-wrap').mark(f"token-{token['id']}"):
                    ui.icon('vpn_key', size='xs').classes('muted')
                    ui.label(token['name']).classes('font-medium grow break-all')
                    ui.label(token['hint']).classes('mono text-sm muted')
                    created = datetime.fromtimestamp(token['created_at']).strftime('%Y-%m-%d %H:%M')
                    ui.label(f'created {created}').classes('text-sm muted')
                    ui.button(icon='delete', on_click=lambda t=token: self.revoke(t)).props(
                        'flat round dense color=negative aria-label="Revoke"').tooltip('Revoke').mark(
                        f"revoke-{token['id']}")

    async def create(self) -> None:
        try:
            secret, info = await run.io_bound(self.service.tokens.create, self.name.value or '')
        except InvalidParams as exc:
            self.name.error = exc.errors[0]['msg']
            return
        self.name.value = ''
        self.draw()
        with self.dialogs, ui.dialog().props('persistent') as dialog, ui.card().classes('gap-3 min-w-[420px]'):
            ui.label(f"Token {info['name']} created").classes('text-lg font-medium')
            with ui.row().classes('items-center gap-2 text-orange-9 no-wrap'):
                ui.icon('warning', size='sm')
                ui.label('Copy it now: it will not be shown again.').mark('token-warning')
            with ui.row().classes('w-full items-center gap-2 no-wrap'):
                ui.label(secret).classes('mono text-sm break-all grow p-2 bg-grey-2 rounded').mark('token-secret')
                ui.button(icon='content_copy', on_click=lambda: self._copy(secret)).props(
                    'flat round dense aria-label="Copy"').tooltip('Copy to the clipboard').mark('token-copy')
            with ui.row().classes('w-full justify-end'):
                ui.button('Done', on_click=dialog.delete).props('unelevated no-caps').mark('token-done')
        dialog.open()

    @staticmethod
    def _copy(secret: str) -> None:
        ui.clipboard.write(secret)
        ui.notify('Copied', type='positive', timeout=1500)

    async def revoke(self, token: dict) -> None:
        with self.dialogs, ui.dialog() as dialog, ui.card():
            ui.label(f"Revoke the token {token['name']}?").classes('text-lg')
            ui.label('Programs using it are refused from now on.').classes('muted')
            with ui.row().classes('w-full justify-end'):
                ui.button('Cancel', on_click=dialog.close).props('flat no-caps')
                ui.button('Revoke', color='negative', on_click=lambda: dialog.submit(True)).props(
                    'unelevated no-caps').mark('confirm-revoke')
        confirmed = await dialog
        dialog.delete()
        if not confirmed:
            return
        try:
            await run.io_bound(self.service.tokens.revoke, token['id'])
        except ProgressAppError as exc:
            ui.notify(str(exc), type='warning')
        self.draw()


def security_section(service: JobService) -> None:
    """The settings page's security part: whether the command kind may run, and the API tokens."""
    with ui.card().classes('w-full gap-2'):
        with ui.row().classes('items-center gap-2'):
            ui.icon('shield', size='sm').classes('text-primary')
            ui.label('Security').classes('text-lg font-medium')

        async def set_allow(value: bool) -> None:
            await run.io_bound(service.update_preferences, allow_commands=value)
            ui.notify('Shell commands ' + ('allowed' if value else 'switched off'), type='info', timeout=2000)
        ui.switch('Allow the command kind', value=service.preferences().allow_commands,
                  on_change=lambda e: set_allow(e.value)).mark('allow-commands')
        ui.label('The command kind runs any shell command as the user running this app. Switch it off when others '
                 'can reach the app; jobs and schedules of that kind are then refused.').classes('text-sm muted')
    TokensCard(service)
