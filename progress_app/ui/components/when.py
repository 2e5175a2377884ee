"""The new-job form's "When": now, at a local date and time, after another job, or repeating (cron or every N
minutes). It turns its fields into `service.submit` arguments or a schedule's trigger, and shows errors inline."""

from __future__ import annotations

import time
from datetime import datetime
from typing import Any

from cron_descriptor import FormatException, MissingFieldException, Options, WrongArgumentException, get_description
from nicegui import ui

from progress_app.runtime import check_cron
from progress_app.ui.components.params_form import FormError

MODES = {'now': 'Now', 'at': 'At a time', 'after': 'After a job', 'repeat': 'Repeat'}
REPEATS = {'cron': 'Cron line', 'every': 'Every N minutes'}
OVERLAPS = {'skip': 'Skip that run', 'queue': 'Queue one run after it', 'cancel_previous': 'Cancel it, start anew',
            'allow': 'Run both'}
"""What a schedule does when it fires while its last run is still going (domain/overlap.py), in the form's words."""
CRON_HINT = 'minute hour day month weekday, local time'


def cron_words(expression: str) -> str:
    """'0 3 * * 1-5' → 'At 03:00, Monday through Friday' (by cron-descriptor); '' for a line that cannot be
    scheduled (the form says why when it is submitted)."""
    try:
        check_cron(expression)
    except ValueError:
        return ''
    options = Options()
    options.use_24hour_time_format = True
    try:
        return get_description(expression.strip(), options)
    except (FormatException, MissingFieldException, WrongArgumentException):
        return ''


def local_epoch(date: str, clock: str) -> float:
    """'2025-03-01', '14:30' in the local time zone as epoch seconds; raises ValueError when unreadable."""
    return datetime.strptime(f'{date.strip()} {clock.strip()}', '%Y-%m-%d %H:%M').timestamp()


class When:
    def __init__(self, mode: str = 'now') -> None:
        ui.label('When').classes('text-sm muted uppercase tracking-wide')
        self.mode = ui.radio(MODES, value=mode if mode in MODES else 'now').props('inline')
        soon = datetime.fromtimestamp(time.time() + 3600)
        with ui.row().classes('w-full gap-4 items-start').bind_visibility_from(self.mode, 'value', value='at'):
            self.date = ui.input('Date', value=soon.strftime('%Y-%m-%d')).props('outlined type=date').classes('w-48')
            self.clock = ui.input('Time', value=soon.strftime('%H:00')).props(
                'outlined type=time hint="Local time"').classes('w-36')
        with ui.row().classes('w-full gap-4 items-start').bind_visibility_from(self.mode, 'value', value='after'):
            self.after = ui.number('After job #', min=1, precision=0).props(
                'outlined hint="Starts when that job completes; cancelled if it fails"').classes('w-64')
        with ui.row().classes('w-full gap-4 items-start').bind_visibility_from(self.mode, 'value', value='repeat'):
            self.repeat = ui.radio(REPEATS, value='cron').props('inline dense').classes('self-center')
            self.cron = ui.input('Cron line', placeholder='30 2 * * 1-5').props(
                f'outlined hint="{CRON_HINT}"').classes('w-96 mono').bind_visibility_from(
                self.repeat, 'value', value='cron')
            self.cron.on_value_change(lambda e: self.cron.props(f'hint="{cron_words(e.value or "") or CRON_HINT}"'))
            self.every = ui.number('Every (minutes)', value=60, min=1, precision=0).props('outlined').classes(
                'w-48').bind_visibility_from(self.repeat, 'value', value='every')
            self.overlap = ui.select(OVERLAPS, value='skip', label='If the last run is still going').props(
                'outlined').classes('w-64').mark('overlap')
        self.fields: dict[str, Any] = {'run_at': self.date, 'after': self.after, 'cron': self.cron,
                                       'interval_seconds': self.every, 'overlap': self.overlap}
        for field in (*self.fields.values(), self.clock):
            field.on('update:model-value', lambda f=field: setattr(f, 'error', None))

    @property
    def repeating(self) -> bool:
        return self.mode.value == 'repeat'

    def clear_errors(self) -> None:
        for field in (*self.fields.values(), self.clock):
            field.error = None

    def submit_args(self) -> dict[str, Any]:
        """`run_at` or `after` for service.submit ({} for now); raises FormError naming the field."""
        if self.mode.value == 'at':
            try:
                run_at = local_epoch(self.date.value or '', self.clock.value or '')
            except ValueError:
                raise FormError(self.date, 'Enter a date and a time') from None
            if run_at < time.time():
                raise FormError(self.clock, 'That time has passed')
            return {'run_at': run_at}
        if self.mode.value == 'after':
            if not self.after.value:
                raise FormError(self.after, 'Enter the number of a job')
            return {'after': int(self.after.value)}
        return {}

    def trigger(self) -> dict[str, Any]:
        """`cron` or `interval_seconds` for a schedule, and its `overlap`; raises FormError naming the field."""
        if self.repeat.value == 'cron':
            if not (self.cron.value or '').strip():
                raise FormError(self.cron, 'Enter a cron line, e.g. 30 2 * * 1-5')
            return {'cron': self.cron.value.strip(), 'overlap': self.overlap.value}
        if not self.every.value or self.every.value < 1:
            raise FormError(self.every, 'Enter a number of minutes, 1 or more')
        return {'interval_seconds': float(self.every.value) * 60, 'overlap': self.overlap.value}

    def show_errors(self, errors: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Put the errors about when under their field; returns the others."""
        return show_errors(self.fields, errors)


def show_errors(fields: dict[str, Any], errors: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Put each error under the field of `fields` its location names first; returns the errors of other fields."""
    rest = []
    for error in errors:
        field = fields.get(str(error['loc'][0])) if error['loc'] else None
        if field is not None:
            field.error = error['msg']
        else:
            rest.append(error)
    return rest
