"""The settings card for Apprise notifications: where to send them, for which endings, a test button, and the
last delivery that failed (a failed notification never fails a job, so this is where the user learns of it).
"""

from __future__ import annotations

from datetime import datetime

from nicegui import run, ui

from progress_app.errors import InvalidParams
from progress_app.runtime import NotificationFailed
from progress_app.runtime.service import JobService

WHEN = {'failed': 'A job fails', 'completed': 'A job completes', 'both': 'A job completes or fails',
        'none': 'Never (only jobs started with "notify me")'}
APPRISE_DOCS = 'https://github.com/caronc/apprise/wiki#notification-services'


def lines(text: str | None) -> list[str]:
    return [line.strip() for line in (text or '').splitlines() if line.strip()]


class NotifySettings:
    def __init__(self, service: JobService) -> None:
        self.service = service

    def build(self) -> None:
        prefs = self.service.preferences()
        with ui.card().classes('w-full gap-3'):
            with ui.row().classes('items-center gap-2'):
                ui.icon('campaign', size='sm').classes('text-primary')
                ui.label('Notifications').classes('text-lg font-medium')
            with ui.row().classes('text-sm muted gap-1'):
                ui.label('Get a message when jobs end, by email, ntfy, Slack, Telegram and more, written as')
                ui.link('Apprise URLs', APPRISE_DOCS, new_tab=True)
                ui.label('(for example ntfy://my-topic or mailto://user:password@gmail.com).')
            self.urls = ui.textarea('Notification URLs, one a line', value='\n'.join(prefs.notify_urls)).props(
                'outlined autogrow').classes('w-full mono')
            self.urls.on('update:model-value', lambda: setattr(self.urls, 'error', None))
            self.when = ui.select(WHEN, value=prefs.notify_on, label='Send one when').props('outlined').classes(
                'w-80')
            self.result = ui.label().classes('text-sm').mark('notify-result')
            with ui.row().classes('w-full justify-end gap-2'):
                self.test_button = ui.button('Send test notification', icon='send', on_click=self.test).props(
                    'flat no-caps')
                ui.button('Save notifications', icon='save', on_click=self.save).props('unelevated no-caps')
            self._last_error()

    async def save(self) -> None:
        self.urls.error = None
        try:
            updated = await run.io_bound(self.service.update_preferences, notify_urls=lines(self.urls.value),
                                         notify_on=self.when.value)
        except InvalidParams as exc:
            self.urls.error = '; '.join(e['msg'] for e in exc.errors)
            return
        if updated is not None:
            self.urls.value = '\n'.join(updated.notify_urls)
            ui.notify('Notification settings saved', type='positive')

    async def test(self) -> None:
        """Send to the URLs as typed (saved or not), so a URL can be tried before it is kept."""
        self.urls.error = None
        self.test_button.props('loading')
        try:
            count = await run.io_bound(self.service.send_test_notification, lines(self.urls.value))
        except InvalidParams as exc:
            self.urls.error = '; '.join(e['msg'] for e in exc.errors)
            self._show('Not sent: ' + self.urls.error, ok=False)
            return
        except NotificationFailed as exc:
            self._show(f'Not sent: {exc}', ok=False)
            return
        finally:
            self.test_button.props(remove='loading')
        if count is not None:
            self._show(f'Test notification sent to {count} URL{"s" if count != 1 else ""}', ok=True)

    def _show(self, text: str, *, ok: bool) -> None:
        self.result.text = text
        self.result.classes(replace='text-sm ' + ('text-positive' if ok else 'text-negative'))

    def _last_error(self) -> None:
        error = self.service.last_notification_error()
        if error is None:
            return
        at = datetime.fromtimestamp(error['at']).strftime('%Y-%m-%d %H:%M')
        job = f" for job #{error['job_id']}" if error.get('job_id') is not None else ''
        with ui.row().classes('items-start gap-2 text-orange-9 no-wrap').mark('notify-last-error'):
            ui.icon('warning', size='sm')
            ui.label(f'Last notification that failed ({at}{job}): {error["message"]}').classes('text-sm break-all')
