"""Tell the user when a job ends: a toast in every open tab, and a browser notification when the tab is hidden.

Each page subscribes to the event bus for its own client; the subscription ends when the client goes away.
"""

from __future__ import annotations

import json

from nicegui import background_tasks, context, ui

from progress_app.runtime import Message
from progress_app.runtime.service import JobService

ENDINGS = {'completed': ('positive', 'check_circle'), 'failed': ('negative', 'error')}

_PERMISSION_JS = '''
if ('Notification' in window && Notification.permission === 'default') { Notification.requestPermission(); }
'''


def _is_ending(message: Message) -> bool:
    event = message.get('event')
    return message['type'] == 'job_update' and bool(event) and event['type'] in ENDINGS


def bell() -> None:
    """A header button that asks the browser for permission to show desktop notifications."""
    ui.button(icon='notifications', on_click=lambda: ui.run_javascript(_PERMISSION_JS)).props(
        'flat round dense color=white aria-label="Desktop notifications"').tooltip(
        'Desktop notifications when a job ends (asks your browser)')


def listen(service: JobService) -> None:
    client = context.client
    sub = service.subscribe(_is_ending, maxsize=100, progress=False)

    async def pump() -> None:
        async for message in sub:
            job, kind = message['job'], message['event']['type']
            color, icon = ENDINGS[kind]
            text = f"{job['name']} (#{job['id']}) {kind}"
            if kind == 'failed' and job.get('error'):
                text += f": {job['error'][:120]}"
            with client:
                ui.notify(text, type=color, icon=icon, position='bottom-right', timeout=6000,
                          actions=[{'label': 'Open', 'color': 'white',
                                    ':handler': f'() => window.location.href = "/jobs/{job["id"]}"'}])
                ui.run_javascript(_browser_notification(text))

    task = background_tasks.create(pump(), name=f'notifications-{client.id}')

    def stop() -> None:
        sub.close()
        task.cancel()

    client.on_delete(stop)


def _browser_notification(text: str) -> str:
    return (f"if (document.hidden && 'Notification' in window && Notification.permission === 'granted') "
            f"{{ new Notification('Progress App', {{ body: {json.dumps(text)} }}); }}")
