"""The frame every page is drawn in: header with navigation, theme, connection state and notifications."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from nicegui import ui

from progress_app.runtime.service import JobService
from progress_app.ui.components import navigation, notifications

STATUS_COLORS = {
    'scheduled': 'deep-purple-5', 'queued': 'amber-8', 'running': 'blue-7', 'paused': 'orange-8',
    'cancelling': 'blue-grey-5', 'completed': 'green-7', 'failed': 'red-7', 'cancelled': 'grey-6',
}
STATUS_ICONS = {
    'scheduled': 'schedule', 'queued': 'hourglass_empty', 'running': 'play_circle', 'paused': 'pause_circle',
    'cancelling': 'stop_circle', 'completed': 'check_circle', 'failed': 'error', 'cancelled': 'cancel',
}

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
@layer components {  /* below Tailwind's utilities: a card's own min-w-[…] still counts */
  /* cards side by side shrink to their share of the row: a long line inside (a deep folder in the parameters)
     scrolls within its card instead of pushing the page wider than the screen */
  .nicegui-row > .q-card { min-width: 0; }
  .nicegui-code { max-width: 100%; overflow-x: auto; }
  .q-table--grid.q-table--bordered { border: 0; }  /* a table drawn as cards: the cards are the boxes */
}
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
    navigation.header(service, current)
    notifications.listen(service)
    with ui.column().classes('w-full max-w-[1400px] mx-auto p-3 sm:p-4 gap-4'):
        yield


def status_badge(status: str) -> ui.badge:
    badge = ui.badge(status, color=STATUS_COLORS.get(status, 'grey'))
    return badge.classes(f'status-{status} px-2 py-1')
