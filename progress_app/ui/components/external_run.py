"""The job page's card for an external run: where its script runs (host, pid, user, command) and how long ago it
last reported, ticking, in a warning colour once the report is late for the run's lease."""

from __future__ import annotations

import json
from typing import Any

from nicegui import ui

from progress_app.ui import external
from progress_app.ui import format as fmt

LATE_CLASSES = {'': 'muted', 'late': 'text-orange-9', 'lost': 'text-red-7'}
CHECKPOINT_CHARS = 120


class ExternalRunCard:
    """Drawn once, updated on every refresh of the page: a script started again with its resume_key may report
    from another host or process."""

    def __init__(self, job: dict[str, Any]) -> None:
        self.lateness: str | None = None
        with ui.card().classes('w-full py-3').mark('external-run'), ui.row().classes('w-full no-wrap gap-3'):
            ui.icon(external.ICON, size='sm').classes('text-primary')
            with ui.column().classes('gap-1 grow min-w-0'):
                with ui.row().classes('w-full items-center justify-between gap-x-4 gap-y-0'):
                    self.where = ui.label().classes('font-medium').mark('external-where')
                    with ui.row().classes('items-center no-wrap gap-1') as self.report_row:
                        self.report_icon = ui.icon('sensors', size='xs')
                        self.report = ui.label().classes('text-sm').mark('external-report')
                        self.report_tip = ui.tooltip()
                with ui.label().classes('mono text-sm muted ellipsis w-full').mark('external-command') as self.command:
                    self.command_tip = ui.tooltip()
                with ui.row().classes('w-full gap-x-6 gap-y-0 text-xs muted'):
                    self.lease = ui.label()
                    with ui.label().classes('mono') as self.resume_key:
                        ui.tooltip('Start the script again with this key to go on from its checkpoint')
                    self.checkpoint = ui.label().classes('mono ellipsis max-w-full')
        self.update(job)

    def update(self, job: dict[str, Any]) -> None:
        facts = job.get('external') or {}
        lease = fmt.duration(float(facts.get('lease_seconds') or 60))
        self.where.text = f'Runs on {external.where(facts)}'
        self.command.text = self.command_tip.text = facts.get('command') or ''
        self.command.set_visibility(bool(facts.get('command')))
        self.lease.text = f'lease {lease}'
        self.report_tip.text = f'Every report renews the lease of {lease}: a run silent that long fails'
        self.resume_key.text = f"resume key {facts.get('resume_key')}"
        self.resume_key.set_visibility(bool(facts.get('resume_key')))
        state = facts.get('resume_state')
        self.checkpoint.text = '' if state is None else f'checkpoint {json.dumps(state)[:CHECKPOINT_CHARS]}'
        self.report.text = external.report_text(job)
        lateness = external.lateness(job)
        if lateness != self.lateness:
            self.lateness = lateness
            self.report_row.classes(remove=' '.join(LATE_CLASSES.values()), add=LATE_CLASSES[lateness])
            self.report_icon.name = 'sensors_off' if lateness else 'sensors'
