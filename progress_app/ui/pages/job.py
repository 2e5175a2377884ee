"""`/jobs/{id}`: one job in full — big progress, stages, live log, history, a chart, params, result, error.

The page is pushed, not polled: it updates from the live job object when the bus publishes the job (each sampler
tick while it moves, at once on a state change; the page focuses its job, so the sampler looks at it every 25 ms
for the pages), and on the shared clock for what changes with time alone (ui/live.py). After a reload or a server
restart it shows the stored state at once and goes live again.
"""

from __future__ import annotations

import json
from functools import partial
from typing import Any

from nicegui import ui

from progress_app.domain.status import FINISHED_NAMES
from progress_app.errors import NotFound
from progress_app.runtime import Job, Message
from progress_app.runtime.service import JobService
from progress_app.ui import external, rows
from progress_app.ui import format as fmt
from progress_app.ui.components import job_actions
from progress_app.ui.components.event_history import EventHistory
from progress_app.ui.components.external_run import ExternalRunCard
from progress_app.ui.components.log_view import LogView
from progress_app.ui.components.params_form import applicable
from progress_app.ui.components.progress_chart import ProgressChart
from progress_app.ui.components.resource_chart import ResourceChart
from progress_app.ui.components.stages import StageStepper
from progress_app.ui.live import Page, feed_of
from progress_app.ui.theme import STATUS_COLORS, frame


class JobPage(Page):
    def __init__(self, service: JobService, job: Job) -> None:
        self.service = service
        self.job_id = job.id
        self.fallback = job
        kind = next((k for k in service.kinds() if k['name'] == job.kind), None)
        self.pausable = kind['pausable'] if kind else True
        self.icon = kind['icon'] if kind else 'work'
        self.params_schema = kind['params_schema'] if kind else {}
        self.last_status = ''
        self.removed = False
        self.last_event_seq = 0

    @property
    def job(self) -> Job:
        return self.service.live_job(self.job_id) or self.fallback

    def build(self) -> None:
        snap = self.service.get(self.job_id)
        with ui.row().classes('w-full items-center gap-3'):
            ui.button(icon='arrow_back', on_click=lambda: ui.navigate.to('/')).props('flat round').tooltip(
                'Back to the dashboard')
            ui.icon(external.ICON if snap['external'] else self.icon, size='md').classes('text-primary gt-xs')
            with ui.column().classes('gap-0'):
                ui.label(snap['name']).classes('text-2xl font-semibold')
                ui.label(f"#{snap['id']} · {snap['kind']} · created {snap['created_at'][:19].replace('T', ' ')}"
                         ).classes('text-sm muted')
            self.badge = ui.badge().classes('text-sm px-3 py-1 ml-2')
            self.stalled = ui.badge('stalled', color='orange-9').classes('text-sm px-3 py-1').mark('stalled-badge')
            ui.space()
            self.actions = ui.row().classes('gap-1')
        with ui.card().classes('w-full'):
            with ui.row().classes('w-full items-end justify-between'):
                self.percent = ui.label().classes('text-5xl font-bold mono')
                self.timing = ui.label().classes('text-lg muted')
            self.bar = ui.linear_progress(show_value=False).props('rounded animation-speed=200').style('height: 16px')
            self.message = ui.label().classes('text-base')
            self.overdue = ui.label().classes('text-base text-orange-9').mark('overdue-notice')
            with ui.row().classes('w-full gap-8 text-sm'):
                self.facts = {name: self._fact(name) for name in ('Done', 'Speed', 'Left', 'Elapsed', 'Attempts')}
            self.stepper = StageStepper()
        self.external = ExternalRunCard(snap) if snap.get('external') else None
        self.error_box = ui.column().classes('w-full')
        with ui.row().classes('w-full gap-4 items-stretch'):
            self.chart = ProgressChart(self.service, self.job_id, lambda: self.job.snapshot())
            with ui.card().classes('grow basis-[320px]') as self.side:  # an external run has no parameters
                ui.label('Parameters').classes('text-lg font-medium').set_visibility(bool(snap['params']))
                ui.code(json.dumps(applicable(snap['params'], self.params_schema), indent=2, ensure_ascii=False),
                        language='json').classes('w-full text-xs').set_visibility(bool(snap['params']))
                self.result_box = ui.column().classes('w-full gap-2')
            self.resources = ResourceChart(lambda: self.job.snapshot())  # in the row: grows across, not down
        with ui.card().classes('w-full'):
            self.log = LogView(self.service, self.job_id, on_gone=self._gone)
        with ui.card().classes('w-full'):
            self.history = EventHistory(self.service, self.job_id)
        self.show()
        self.feed = feed_of(self.service)
        self.feed.add(self)
        self.unfocus = self.service.focus(self.job_id)
        ui.context.client.on_delete(self.unfocus)

    # -- pushed: the feed calls these on the event loop ----------------------------------------------------------
    def changed(self, state: list[Message], moved: dict[int, Job]) -> bool:
        mine = [message for message in state if (message.get('job') or {}).get('id') == self.job_id]
        if not mine and self.job_id not in moved:
            return False
        if any(message['type'] == 'job_removed' for message in mine):
            self._gone()
            return True
        self.show()
        if any(self.history.shows(message.get('event')) for message in mine):
            self.history.load_soon()
        self.log.poll_soon()
        return True

    def tick(self, now: float) -> None:
        self.show()  # the elapsed time goes on without news from the job
        self.chart.tick()
        self.resources.tick()
        self.log.poll_soon()
        self.history.tick()

    def refresh(self) -> None:
        self.tick(0.0)
        self.history.load_soon()

    @staticmethod
    def _fact(name: str) -> ui.label:
        with ui.column().classes('gap-0'):
            ui.label(name).classes('text-xs uppercase muted tracking-wide')
            return ui.label('—').classes('font-medium mono')

    def show(self) -> None:
        """Show the job as it is now."""
        if self.removed:
            return
        snap = self.job.snapshot()
        status = snap['status']
        self.badge.text = rows.status_text(snap)
        self.badge.props(f'color={STATUS_COLORS[status]}')
        self.stalled.set_visibility(snap['stalled'])
        if snap['stalled']:
            self.stalled.text = rows.stalled_text(snap)
        by_time = snap['estimated_progress']  # a job that reports no progress: by time against its usual duration
        self.percent.text = rows.percent_text(snap, 1)
        self.bar.value = (snap['progress'] if by_time is None else by_time) / 100
        if by_time is None:
            self.bar.props(remove='stripe')
        else:  # striped: an estimate
            self.bar.props('stripe')
        self.overdue.text = rows.overdue_text(snap)
        self.overdue.set_visibility(bool(self.overdue.text))
        self.bar.props(f'color={STATUS_COLORS[status]}')
        self.timing.text = rows.timing_text(snap) if status != 'completed' else 'done in ' + fmt.duration(
            snap['elapsed_seconds'])
        self.message.text = snap['message'] or ('' if status != 'failed' else snap['error'] or '')
        self.facts['Done'].text = fmt.job_count(snap) or '—'
        self.facts['Speed'].text = fmt.job_speed(snap)
        self.facts['Left'].text = fmt.eta(snap['eta_seconds']) if status == 'running' else '—'
        self.facts['Elapsed'].text = fmt.duration(snap['elapsed_seconds'])
        self.facts['Attempts'].text = str(snap['attempts'])
        self.stepper.update(snap)
        if self.external:
            self.external.update(snap)
        if self.badge.text != self.last_status:  # a status, or 'pausing…': the buttons change with it
            self.last_status = self.badge.text
            self._on_status(snap)

    def _on_status(self, snap: dict[str, Any]) -> None:
        self.actions.clear()
        with self.actions:
            if snap['status'] in FINISHED_NAMES and rows.can_restart(snap):
                run_again = partial(self.service.run_again, self.job_id)
                ui.button('Run again', icon='control_point_duplicate',
                          on_click=lambda: job_actions.start(run_again)).props('flat no-caps color=primary').tooltip(
                    'A new job with the same parameters').mark('run-again')
            for action in rows.actions(snap, self.pausable):
                icon, tip, color = job_actions.BUTTONS[action]
                ui.button(icon=icon, on_click=lambda a=action: self._act(a)).props(
                    f'flat round color={color}').tooltip(tip).mark(f'action-{action}')
        self.error_box.clear()
        retry = snap.get('retry')  # a try failed and the job waits for its next one: the error says why
        if (snap['status'] == 'failed' or retry) and snap['error']:
            with self.error_box, ui.card().classes('w-full border-l-4 ' + ('border-orange-600' if retry
                                                                           else 'border-red-600')):
                with ui.row().classes('items-center gap-2'):
                    ui.icon('error', color='orange-8' if retry else 'red-7', size='sm')
                    stage = f" in stage '{snap['error_stage']}'" if snap['error_stage'] else ''
                    failed = f"Attempt {snap['attempts']} failed" if retry else 'Failed'
                    ui.label(f'{failed}{stage}: {snap["error"]}').classes('font-medium').mark('job-error')
                    if retry:
                        ui.label(f'— {rows.retry_text(retry)}').classes('muted')
                if snap['traceback']:
                    with ui.expansion('Traceback').classes('w-full'):
                        ui.code(snap['traceback'], language='python').classes('w-full text-xs')
        self.result_box.clear()
        self.side.set_visibility(bool(snap['params']) or snap['result'] is not None or snap['has_output'])
        with self.result_box:
            if snap['result'] is not None:
                ui.label('Result').classes('text-lg font-medium mt-2')
                ui.code(json.dumps(snap['result'], indent=2, ensure_ascii=False), language='json').classes(
                    'w-full text-xs')
            if snap['status'] == 'completed' and snap['has_output']:
                ui.button('Download result', icon='download', on_click=lambda: self._act('download')).props(
                    'unelevated no-caps color=green-7')
        self.history.load_soon()

    def _gone(self) -> None:
        """The job was removed (from another tab, a script): say so, rather than go on showing its last state with
        buttons that can no longer work."""
        if self.removed:
            return
        self.removed = True
        self.feed.remove(self)
        self.unfocus()
        self.badge.text = 'removed'
        self.badge.props('color=grey-8')
        self.actions.clear()
        self.error_box.clear()
        with self.error_box, ui.card().classes('w-full border-l-4 border-grey-6'):
            with ui.row().classes('items-center gap-2'):
                ui.icon('delete', size='sm').classes('muted')
                ui.label(f'Job #{self.job_id} was removed, with its history, log and outputs.').classes('font-medium')
                ui.link('Back to the dashboard', '/')

    async def _act(self, action: str) -> None:
        if await job_actions.perform(self.service, self.job_id, action) and action == 'remove':
            ui.navigate.to('/')


def create(service: JobService) -> None:
    @ui.page('/jobs/{job_id}')
    def job_page(job_id: str) -> None:
        with frame(service, f'Job #{job_id}', ''):
            try:
                job = service.job(int(job_id))
            except (ValueError, NotFound):
                with ui.column().classes('w-full items-center q-pa-xl gap-2'):
                    ui.icon('search_off', size='64px').classes('muted')
                    ui.label(f'There is no job #{job_id}.').classes('text-xl')
                    ui.link('Back to the dashboard', '/')
                return
            JobPage(service, job).build()
