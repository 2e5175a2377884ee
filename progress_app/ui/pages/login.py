"""`/login`: the password form shown when the app is protected by a password."""

from __future__ import annotations

import math

from fastapi.responses import RedirectResponse
from nicegui import app, context, ui

from progress_app.runtime.service import JobService
from progress_app.security.auth import Auth, logged_in
from progress_app.ui.theme import look


def safe_next(target: str | None) -> str:
    """Only paths of this app: never an address elsewhere (no open redirect)."""
    if not target or not target.startswith('/') or target.startswith('//') or '\\' in target:
        return '/'
    return target


def create(auth: Auth, service: JobService) -> None:
    @ui.page('/login')
    def login(next: str | None = None) -> RedirectResponse | None:
        target = safe_next(next)
        if not auth.enabled or logged_in():
            return RedirectResponse(target)
        client = context.client.request.client.host if context.client.request.client else '?'
        ui.page_title('Log in · Progress App')
        look(service)  # light, dark or the system's, as in the settings

        def attempt() -> None:
            ok, wait, left = auth.check_password(client, password.value or '')
            if ok:
                app.storage.user['authenticated'] = True
                ui.navigate.to(target)
            elif wait:
                message.text = f'Too many failed attempts. Try again in {math.ceil(wait)} s.'
            else:
                message.text = (f'Wrong password. {left} more {"try" if left == 1 else "tries"} before a pause.'
                                if left else 'Wrong password. Each further try has to wait a little longer.')
                password.value = ''

        with ui.card().classes('absolute-center w-80 items-stretch gap-3'):
            with ui.row().classes('items-center gap-2'):
                ui.icon('hourglass_top', size='md').classes('text-primary')
                ui.label('Progress App').classes('text-xl font-semibold')
            password = ui.input('Password', password=True, password_toggle_button=True).props(
                'outlined autofocus').on('keydown.enter', attempt)
            message = ui.label().classes('text-negative text-sm')
            ui.button('Log in', on_click=attempt).props('unelevated no-caps')
        return None
