"""The new-job form's "Time limit and retries" section (folded away): how long a try may run and how many more tries
a failed job gets (domain/attempts.py), and whether a stalled one fails (domain/stall.py). It turns its fields into
the job's options, or a schedule's fields, and shows the service's errors under them."""

from __future__ import annotations

from typing import Any

from nicegui import ui

from progress_app.domain import attempts
from progress_app.ui.components.when import show_errors


class AttemptFields:
    def __init__(self) -> None:
        with ui.expansion('Time limit and retries', icon='timer').classes('w-full').props(
                'dense header-class="px-0"').mark('attempt-fields'):
            with ui.row().classes('w-full gap-4 items-start'):
                self.timeout = ui.number('Time limit (seconds)', min=0, max=attempts.TIMEOUT_MAX).props(
                    'outlined clearable hint="Stops a try that runs longer and fails it; pauses do not count"'
                ).classes('w-64').mark('timeout-seconds')
                self.retries = ui.number('Retries', value=0, min=0, max=attempts.RETRIES_MAX, precision=0).props(
                    'outlined hint="More tries after a failure, each from its checkpoint"').classes('w-48').mark(
                    'retries')
                self.delay = ui.number('First retry after (seconds)', value=attempts.DEFAULT_RETRY_DELAY, min=0,
                                       max=attempts.RETRY_DELAY_MAX).props(
                    'outlined hint="Doubles for each next retry, at most an hour"').classes('w-64').mark(
                    'retry-delay')
            self.fail_stall = ui.checkbox('Fail it when it stalls (no progress for far longer than usual)').mark(
                'fail-on-stall')
        self.fields: dict[str, Any] = {'timeout_seconds': self.timeout, 'retries': self.retries,
                                       'retry_delay_seconds': self.delay}
        for field in self.fields.values():
            field.on('update:model-value', lambda f=field: setattr(f, 'error', None))

    def values(self) -> dict[str, Any]:
        """The options the fields give ({} when left as they are); the service checks them."""
        retries = self.retries.value or 0
        given = {'timeout_seconds': self.timeout.value or None,  # 0 or empty: no limit
                 'retries': int(retries) if float(retries).is_integer() else retries,
                 'retry_delay_seconds': self.delay.value if retries else None}
        return {**attempts.policy(given), **({'on_stall': 'fail'} if self.fail_stall.value else {})}

    def clear_errors(self) -> None:
        for field in self.fields.values():
            field.error = None

    def show_errors(self, errors: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Put the errors about the time limit and retries under their field; returns the others."""
        return show_errors(self.fields, errors)
