"""`/schedules`: every schedule with when it runs next (local time), pause/resume and delete; one timer keeps the
list current and redraws it only when something changed."""

from __future__ import annotations

from datetime import datetime
from functools import partial
from typing import Any

from nicegui import run, ui

from progress_app.errors import ProgressAppError
from progress_app.runtime.service import JobService
from progress_app.ui import format as fmt
from progress_app.ui.components import job_actions
from progress_app.ui.components.when import OVERLAPS, cron_words
from progress_app.ui.theme import frame

REFRESH_SECONDS = 2.0
HEADINGS = ('Name', 'Kind', 'When', 'Next run', 'State', 'Last run', '')


def local_time(iso: str | None) -> str:
    """An ISO time as '2025-03-01 14:30' in the local time zone; '—' for none."""
    return datetime.fromisoformat(iso).astimezone().strftime('%Y-%m-%d %H:%M') if iso else '—'


def when_text(schedule: dict[str, Any]) -> str:
    """'cron 30 2 * * 1-5', 'every 15 min' or 'once at 2025-03-01 14:30'."""
    if schedule.get('cron'):
        return f"cron {schedule['cron']}"
    if schedule.get('interval_seconds'):
        return f"every {fmt.duration(schedule['interval_seconds'])}"
    if schedule.get('run_at'):
        return f"once at {local_time(schedule['run_at'])}"
    return schedule.get('trigger', '')


def overlap_text(schedule: dict[str, Any]) -> str:
    """'If still going: skip that run · skipped 3 runs, last at 2025-03-01 14:30'."""
    text = f"If still going: {OVERLAPS.get(schedule.get('overlap') or 'skip', schedule.get('overlap')).lower()}"
    skipped = schedule.get('skipped_runs') or 0
    if skipped:
        runs = f"{skipped} run{'s' if skipped != 1 else ''}"
        text += f" · skipped {runs}, last at {local_time(schedule['last_skipped_at'])}"
    return text


def attempts_text(schedule: dict[str, Any]) -> str:
    """'time limit 10 min · 3 retries' for the runs of a schedule that limits or retries them; '' if it does not."""
    parts = []
    if schedule.get('timeout_seconds'):
        parts.append(f"time limit {fmt.duration(schedule['timeout_seconds'])}")
    if retries := schedule.get('retries'):
        parts.append(f"{retries} retr{'ies' if retries != 1 else 'y'}")
    return ' · '.join(parts)


class SchedulesPage:
    def __init__(self, service: JobService) -> None:
        self.service = service
        self.shown: list[dict[str, Any]] | None = None

    def build(self) -> None:
        with ui.row().classes('w-full items-center'):
            ui.label('Schedules').classes('text-2xl font-semibold')
            ui.space()
            ui.button('New schedule', icon='event_repeat', on_click=lambda: ui.navigate.to('/new?when=repeat')
                      ).props('unelevated no-caps')
        self.body = ui.column().classes('w-full gap-0')
        self.dialogs = ui.element()  # outside the body, which a refresh clears
        ui.timer(REFRESH_SECONDS, self.refresh, immediate=True)

    async def refresh(self) -> None:
        schedules = await run.io_bound(self.service.schedules.list)
        if schedules is None or schedules == self.shown:  # the page went away, or nothing changed
            return
        self.shown = schedules
        self.body.clear()
        with self.body:
            if schedules:
                self._table(sorted(schedules, key=lambda s: (s['paused'], s['next_run_at'] or '', s['name'])))
            else:
                self._empty()

    @staticmethod
    def _empty() -> None:
        with ui.column().classes('w-full items-center q-pa-xl gap-2 muted').mark('schedules-empty'):
            ui.icon('event_repeat', size='48px')
            ui.label('No schedules yet').classes('text-h6')
            ui.label('In the new-job form, choose "Repeat" under When to run a job on a cron line or every few '
                     'minutes.')

    def _table(self, schedules: list[dict[str, Any]]) -> None:
        with ui.card().classes('w-full').props('flat bordered'):
            with ui.grid(columns='minmax(140px,2fr) 1fr 2fr 1.3fr auto 1.3fr auto').classes(
                    'w-full gap-x-4 gap-y-3 items-center'):
                for heading in HEADINGS:
                    ui.label(heading).classes('text-xs muted uppercase tracking-wide')
                for schedule in schedules:
                    self._row(schedule)

    def _row(self, s: dict[str, Any]) -> None:
        sid = s['id']
        with ui.row().classes('items-center gap-1 no-wrap'):
            ui.label(s['name']).classes('font-medium break-all').mark(f'schedule-{sid}')
            if s.get('notify'):
                ui.icon('notifications_active', size='16px').classes('muted').tooltip(
                    'Notifies when each of its jobs ends').mark(f'notify-{sid}')
        ui.label(s['kind'] or '—').classes('text-sm')
        with ui.column().classes('gap-0'):
            ui.label(when_text(s)).classes('mono text-sm')
            if s.get('cron'):
                ui.label(cron_words(s['cron'])).classes('text-xs muted')
            ui.label(overlap_text(s)).classes('text-xs muted').mark(f'overlap-{sid}')
            if limits := attempts_text(s):
                ui.label(limits).classes('text-xs muted').mark(f'attempts-{sid}')
        ui.label(local_time(s['next_run_at']) if not s['paused'] else '—').classes('text-sm').mark(f'next-{sid}')
        ui.badge('paused' if s['paused'] else 'active', color='orange-8' if s['paused'] else 'green-7').classes(
            'px-2 py-1').mark(f'state-{sid}')
        ui.label(local_time(s['last_run_at'])).classes('text-sm muted')
        with ui.row().classes('gap-1 no-wrap'):
            run_now = partial(self.service.schedules.run_now, sid)
            ui.button(icon='play_circle', on_click=lambda: job_actions.start(run_now)).props(
                'flat round dense color=primary aria-label="Run now"').tooltip(
                'Run now (an extra run: the next runs stay as they are)').mark(f'run-{sid}')
            if s['paused']:
                ui.button(icon='play_arrow', on_click=lambda: self._act('resume', sid)).props(
                    'flat round dense color=primary aria-label="Resume"').tooltip('Resume').mark(f'resume-{sid}')
            else:
                ui.button(icon='pause', on_click=lambda: self._act('pause', sid)).props(
                    'flat round dense color=orange-8 aria-label="Pause"').tooltip('Pause').mark(f'pause-{sid}')
            ui.button(icon='delete', on_click=lambda: self._confirm_delete(s)).props(
                'flat round dense color=grey-7 aria-label="Delete"').tooltip('Delete').mark(f'delete-{sid}')
        if s.get('last_error'):  # under the row, across all columns
            with ui.row().classes('items-center gap-2 no-wrap text-negative text-sm').style(
                    'grid-column: 1 / -1; margin-top: -6px').mark(f'error-{sid}'):
                ui.icon('error_outline', size='18px')
                ui.label(f"The last run started no job: {s['last_error']}")

    async def _confirm_delete(self, schedule: dict[str, Any]) -> None:
        with self.dialogs, ui.dialog() as dialog, ui.card():
            ui.label(f"Delete the schedule {schedule['name']}?").classes('text-lg')
            ui.label('It will not start new jobs; jobs it already started are kept.').classes('muted')
            with ui.row().classes('w-full justify-end'):
                ui.button('Cancel', on_click=dialog.close).props('flat no-caps')
                ui.button('Delete', color='negative', on_click=lambda: dialog.submit(True)).props(
                    'unelevated no-caps').mark('confirm-delete')
        confirmed = await dialog
        dialog.delete()
        if confirmed:
            await self._act('remove', schedule['id'])

    async def _act(self, action: str, schedule_id: str) -> None:
        try:
            await run.io_bound(getattr(self.service.schedules, action), schedule_id)
        except ProgressAppError as exc:
            ui.notify(str(exc), type='warning')
        else:
            ui.notify({'pause': 'Schedule paused', 'resume': 'Schedule resumed', 'remove': 'Schedule deleted'}[action],
                      type='info', timeout=2000)
        await self.refresh()


def create(service: JobService) -> None:
    @ui.page('/schedules')
    def schedules_page() -> None:
        with frame(service, 'Schedules', '/schedules'):
            SchedulesPage(service).build()
