"""A job's History card: its events in words, newest first, followed as they are stored (a Retry's new attempt
appears without a reload). The page asks it to load the events after the last it has when the job's state
changes (`load_soon`), and on the shared clock while progress events are shown (they are stored as the job goes)."""

from __future__ import annotations

import time
from typing import Any

from nicegui import background_tasks, run, ui

from progress_app.errors import NotFound
from progress_app.runtime.service import JobService
from progress_app.ui import format as fmt

COLUMNS = [
    {'name': 'seq', 'label': '#', 'field': 'seq', 'align': 'right', 'classes': 'gt-xs', 'headerClasses': 'gt-xs'},
    {'name': 'at', 'label': 'Time', 'field': 'at', 'align': 'left'},
    {'name': 'type', 'label': 'Event', 'field': 'type', 'align': 'left'},
    # a long detail (a result naming a deep folder) wraps inside the card instead of running off it
    {'name': 'detail', 'label': 'Detail', 'field': 'detail', 'align': 'left',
     'style': 'white-space: normal; overflow-wrap: anywhere; min-width: 8rem'},
]


def event_detail(event: dict[str, Any]) -> str:
    data = event['data']
    if event['type'] == 'stage':
        return f"{data.get('stage')} {data.get('state')}"
    if event['type'] == 'progress':
        return f"{data.get('progress', 0):.1f} % · {data.get('message') or ''}".rstrip(' ·')
    if event['type'] in ('failed', 'cancelled'):
        return data.get('error') or ''
    if event['type'] == 'attempt_failed':  # a try failed; the job waits for its next one
        at = time.strftime('%H:%M:%S', time.localtime(data.get('retry_at') or event['at']))
        return f"{data.get('error') or ''} · retry {data.get('retry')} of {data.get('retries')} at {at}"
    if event['type'] == 'started':
        return f"attempt {data.get('attempt')}" + (', resuming from checkpoint' if data.get('resuming') else '')
    if event['type'] == 'overdue':  # it has run more than twice its usual time
        return f"ran {fmt.duration(data.get('elapsed_seconds'))}, usually {fmt.duration(data.get('expected_seconds'))}"
    if event['type'] == 'interrupted':
        return f"{data.get('reason')} at {data.get('progress', 0):.1f} %"
    if event['type'] == 'stalled':  # its progress stood still far longer than its pace
        failing = ' · stopping it (on_stall: fail)' if data.get('on_stall') == 'fail' else ''
        return f"no progress for {fmt.duration(data.get('seconds'))}{failing}"
    if event['type'] == 'unstalled':
        return f"moving again after {fmt.duration(data.get('seconds'))}"
    return ', '.join(text for k, v in data.items() if k != 'params' and (text := detail_field(k, v)))[:200]


def detail_field(key: str, value: Any) -> str:
    """One field of an event's data in words: 'runs at 2026-12-02 01:31', not 'run_at: 1796175098.0'."""
    if key == 'run_at' and isinstance(value, int | float):
        return 'runs at ' + time.strftime('%Y-%m-%d %H:%M', time.localtime(value))
    if key in ('late_seconds', 'after_seconds') and isinstance(value, int | float):
        return f"{fmt.duration(value)} {'late' if key == 'late_seconds' else 'without a report'}"
    if key in ('host', 'pid'):  # an external run's script: 'on build-box, pid 4242'
        return '' if value is None else f"{'on' if key == 'host' else 'pid'} {value}"
    if key == 'after':
        return f'after job #{value}'
    if key == 'reason':
        return str(value)
    return f"{key.replace('_', ' ')}: {value}"


class EventHistory:
    def __init__(self, service: JobService, job_id: int) -> None:
        self.service = service
        self.job_id = job_id
        self.events: list[dict[str, Any]] = []
        self.loading = False
        with ui.row().classes('w-full items-center'):
            ui.label('History').classes('text-lg font-medium')
            ui.space()
            self.show_progress = ui.switch('Progress events', on_change=self._show).props('dense')
        self.table = ui.table(columns=COLUMNS, rows=[], row_key='seq').classes('w-full').props(
            'flat dense :rows-per-page-options="[15, 50, 0]"')
        self.load_soon()

    def load_soon(self) -> None:
        """Read the events stored since the last one shown (the job's state changed)."""
        if not self.loading:
            background_tasks.create(self.load(), name=f'history of job {self.job_id}')

    def shows(self, event: dict[str, Any] | None) -> bool:
        """Whether the card shows `event` (a stored event of a state message; progress events only when asked)."""
        return event is not None and (event.get('type') != 'progress' or self.show_progress.value)

    def tick(self) -> None:
        """The shared clock: progress events, when shown, are stored as the job goes."""
        if self.show_progress.value:
            self.load_soon()

    async def load(self) -> None:
        if self.loading:
            return
        self.loading = True
        try:
            since = self.events[-1]['seq'] if self.events else 0
            new = await run.io_bound(self.service.events, self.job_id, since)
        except NotFound:
            return
        finally:
            self.loading = False
        if new:
            self.events.extend(new)
            if any(self.shows(event) for event in new):  # else the table is as it was: nothing to send
                self._show()

    def _show(self) -> None:
        shown = [e for e in self.events if self.show_progress.value or e['type'] != 'progress']
        self.table.rows = [{'seq': e['seq'], 'at': time.strftime('%Y-%m-%d %H:%M:%S', time.localtime(e['at'])),
                            'type': e['type'], 'detail': event_detail(e)} for e in reversed(shown)]
