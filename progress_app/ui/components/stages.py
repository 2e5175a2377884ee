"""The stage stepper: each weighted stage with its state and how long the job ran in it (over all attempts)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from nicegui import ui

from progress_app.ui import format as fmt

STATE_LOOK = {  # state: (icon, colour)
    'pending': ('radio_button_unchecked', 'grey-5'), 'running': ('autorenew', 'blue-7'),
    'done': ('check_circle', 'green-7'), 'failed': ('error', 'red-7'), 'paused': ('pause_circle', 'orange-8'),
}


def _seconds(start: str | None, end: str | None) -> float | None:
    if not start:
        return None
    begin = datetime.fromisoformat(start)
    finish = datetime.fromisoformat(end) if end else datetime.now(begin.tzinfo)
    return (finish - begin).total_seconds()


def stage_time(stage: dict[str, Any]) -> str:
    """How long the job has run in the stage, over all its attempts ('3 s over 2 attempts'); '' before it ran."""
    if stage.get('seconds') is None:  # stored before running times were: the wall clock of the last attempt
        if stage['state'] in ('pending', 'paused'):  # a paused stage's wall-clock time would count the pause
            return ''
        seconds = _seconds(stage.get('started_at'), stage.get('finished_at'))
        return fmt.duration(seconds) if seconds is not None else ''
    attempts = stage.get('attempts') or 0
    if not attempts:
        return ''
    return fmt.duration(stage['seconds']) + (f' over {attempts} attempts' if attempts > 1 else '')


def stage_detail(stage: dict[str, Any], share: float) -> str:
    """'80 % of the work · 3 s over 2 attempts'; a stage not run yet says its state, a paused one says so too."""
    time, state = stage_time(stage), stage['state']
    shown = f'{state} · {time}' if state == 'paused' and time else time or state
    return f'{share:.0%} of the work · {shown}'


def shown_stages(job: dict[str, Any]) -> list[dict[str, Any]]:
    """The stages as the stepper shows them: in a paused job, the stage it stopped in is 'paused'."""
    paused = job['status'] == 'paused'
    return [s | {'state': 'paused'} if paused and s['state'] == 'running' else s for s in job['stages']]


class StageStepper:
    def __init__(self) -> None:
        # a row of cards on a desk; on a phone a column of them, nothing scrolled out of sight
        self.container = ui.row().classes('w-full gap-2 items-stretch no-wrap overflow-x-auto max-sm:flex-col')
        self._key: Any = None

    def update(self, job: dict[str, Any]) -> None:
        stages = shown_stages(job)
        total = sum(s['weight'] for s in stages) or 1
        key = [(s['name'], s['state'], stage_time(s)) for s in stages]
        if key == self._key:
            return
        self._key = key
        self.container.clear()
        with self.container:
            for i, stage in enumerate(stages):
                icon, color = STATE_LOOK.get(stage['state'], STATE_LOOK['pending'])
                share = stage['weight'] / total
                with ui.card().tight().props('flat bordered').classes('px-3 py-2 min-w-[140px] sm:flex-1'):
                    with ui.row().classes('items-center gap-2 no-wrap'):
                        spin = ' animate-spin' if stage['state'] == 'running' else ''
                        ui.icon(icon, color=color, size='sm').classes(spin)
                        with ui.column().classes('gap-0'):
                            ui.label(f"{i + 1}. {stage['name']}").classes('font-medium text-sm')
                            ui.label(stage_detail(stage, share)).classes('text-xs muted')
