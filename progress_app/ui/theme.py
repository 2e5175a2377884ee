"""The frame every page is drawn in: header with navigation, theme, connection state and notifications."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from nicegui import app, ui

from progress_app.runtime.service import JobService
from progress_app.ui.components import notifications

STATUS_COLORS = {
    'scheduled': 'deep-purple-5', 'queued': 'amber-8', 'running': 'blue-7', 'paused': 'orange-8',
    'cancelling': 'blue-grey-5', 'completed': 'green-7', 'failed': 'red-7', 'cancelled': 'grey-6',
}
STATUS_ICONS = {
    'scheduled': 'schedule', 'queued': 'hourglass_empty', 'running': 'play_circle', 'paused': 'pause_circle',
    'cancelling': 'stop_circle', 'completed': 'check_circle', 'failed': 'error', 'cancelled': 'cancel',
}
NAV = (('/', 'Dashboard', 'dashboard'), ('/history', 'History', 'insights'),
       ('/schedules', 'Schedules', 'event_repeat'), ('/settings', 'Settings', 'tune'))

# Shows whether the page's live connection to the server is up (NiceGUI keeps a socket.io connection).
_CONNECTION_JS = '''
setInterval(() => {
  const dot = document.getElementById('connection-dot');
  if (!dot || !window.socket) return;
  const up = window.socket.connected;
  dot.dataset.state = up ? 'live' : 'offline';
  dot.title = up ? 'Live: updates arrive as they happen' : 'Reconnecting to the server…';
}, 500);
'''
_CSS = '''
#connection-dot { width: 10px; height: 10px; border-radius: 50%; display: inline-block; background: #9e9e9e; }
#connection-dot[data-state="live"] { background: #43a047; box-shadow: 0 0 0 3px rgba(67,160,71,.25); }
#connection-dot[data-state="offline"] { background: #e53935; animation: pulse 1s infinite; }
@keyframes pulse { 50% { opacity: .3; } }
.nav-link.active { background: rgba(255,255,255,.18); }
.mono { font-family: ui-monospace, SFMono-Regular, Menlo, monospace; }
.q-table td { vertical-align: middle; }
body.body--dark .muted { color: #9e9e9e; }
.muted { color: #6b7280; }
/* cards side by side shrink to their share of the row: a long line inside (a deep folder in the parameters)
   scrolls within its card instead of pushing the page wider than the screen */
.nicegui-row > .q-card { min-width: 0; }
.nicegui-code { max-width: 100%; overflow-x: auto; }
'''


def apply_theme(theme: str) -> None:
    ui.dark_mode({'auto': None, 'light': False, 'dark': True}[theme])


def look(service: JobService) -> None:
    """The app's colours, styles and the user's theme, on any page (the login page has no frame)."""
    ui.colors(primary='#1e63d6', secondary='#5b6b82', accent='#7c4dff', positive='#2e7d32', negative='#c62828')
    ui.add_css(_CSS)
    apply_theme(service.preferences().theme)


@contextmanager
def frame(service: JobService, title: str, current: str) -> Iterator[None]:
    """Header, navigation and a centred content column; yields inside the column."""
    ui.page_title(f'{title} · Progress App')
    look(service)
    ui.add_body_html(f'<script>{_CONNECTION_JS}</script>')
    with ui.header().classes('items-center gap-2 px-4 py-2 bg-primary'):
        with ui.link(target='/').classes('flex items-center gap-2 no-underline text-white'):
            ui.icon('hourglass_top', size='sm')
            ui.label('Progress App').classes('text-lg font-semibold')
        ui.space().classes('max-w-[24px]')
        for path, label, icon in NAV:
            button = ui.button(label, icon=icon, on_click=lambda p=path: ui.navigate.to(p)).props('flat no-caps')
            button.classes('text-white nav-link' + (' active' if path == current else ''))
        ui.space()
        ui.html('<span id="connection-dot" data-state="unknown" title="Connecting…"></span>').classes('mr-2')
        notifications.bell()
        if service.config.password:
            ui.button(icon='logout', on_click=_log_out).props(
                'flat round dense color=white aria-label="Log out"').tooltip('Log out')
        ui.button(icon='add', text='New job', on_click=lambda: ui.navigate.to('/new')).props(
            'unelevated no-caps color=white text-color=primary').classes('ml-2')
    notifications.listen(service)
    with ui.column().classes('w-full max-w-[1400px] mx-auto p-4 gap-4'):
        yield


def _log_out() -> None:
    app.storage.user.clear()
    ui.navigate.to('/login')


def status_badge(status: str) -> ui.badge:
    badge = ui.badge(status, color=STATUS_COLORS.get(status, 'grey'))
    return badge.classes(f'status-{status} px-2 py-1')
