"""`/new`: pick a kind, fill in the form generated from its parameters, choose when, and start the job (or create
a schedule)."""

from __future__ import annotations

from nicegui import run, ui

from progress_app.domain.limits import NAME_MAX, PRIORITY_HIGHEST, PRIORITY_LOWEST
from progress_app.errors import InvalidParams, ProgressAppError
from progress_app.runtime.service import JobService
from progress_app.ui.components import job_actions, script_snippets, upload_box
from progress_app.ui.components.attempt_fields import AttemptFields
from progress_app.ui.components.params_form import FormError, ParamsForm
from progress_app.ui.components.path_tools import PathTools
from progress_app.ui.components.when import When
from progress_app.ui.theme import frame

SUBMIT_LABELS = {'now': ('Start job', 'play_arrow'), 'at': ('Schedule job', 'schedule'),
                 'after': ('Schedule job', 'schedule'), 'repeat': ('Create schedule', 'event_repeat')}


class NewJob:
    def __init__(self, service: JobService, kind: str | None, when: str | None = None) -> None:
        self.service = service
        self.initial_when = when or 'now'
        allow_commands = service.preferences().allow_commands
        self.kinds = {k['name']: k for k in service.kinds()  # external runs are opened by their scripts
                      if k.get('listed', True) and (allow_commands or k['name'] != 'command')}
        self.kind = kind if kind in self.kinds else next(iter(self.kinds))
        self.form: ParamsForm | None = None
        self.paths = PathTools(service)
        self.submitting = False

    def build(self) -> None:
        upload_box.install()
        ui.label('New job').classes('text-2xl font-semibold')
        with ui.row().classes('w-full gap-6 items-start'):
            with ui.column().classes('basis-[280px] grow sm:grow-0 gap-2'):  # a phone: the full width
                ui.label('What to run').classes('text-sm muted uppercase tracking-wide')
                self.picker = ui.column().classes('w-full gap-2')
            with ui.card().classes('grow basis-[480px]').on(  # Enter in a one-line field submits, as in any form;
                    # not in the JSON editor (a new line there), nor on a button or a select
                    'keydown.enter', self.submit, js_handler='(e) => e.target.tagName === "INPUT" && emit()'):
                self.heading = ui.label().classes('text-xl font-medium')
                self.description = ui.label().classes('muted')
                ui.separator()
                self.form_box = ui.column().classes('w-full gap-3')
                ui.separator()
                with ui.row().classes('w-full gap-4 items-start'):
                    self.name = ui.input('Name (optional)').classes('grow').props(
                        f'outlined maxlength={NAME_MAX} hint="Shown on the dashboard; the kind\'s title if empty"')
                    self.priority = ui.number('Priority', value=0, min=PRIORITY_LOWEST, max=PRIORITY_HIGHEST,
                                              precision=0).props(
                        'outlined hint="Higher runs first"').classes('w-40')
                    self.notify = ui.checkbox('Notify me when it ends').classes('pt-2').tooltip(
                        'Send a notification to the URLs set in Settings, whatever they are set to notify about')
                self.notify_to = ui.input('Send its notifications to (optional)').classes('w-full').props(
                    'outlined dense hint="Apprise URLs for this job only, instead of those in Settings; space '
                    'between several"').mark('notify-to')
                self.attempt_fields = AttemptFields()
                self.when = When(self.initial_when)
                self.problems = ui.label().classes('text-negative')
                with ui.row().classes('w-full justify-end gap-2'):
                    ui.button('Cancel', on_click=lambda: ui.navigate.to('/')).props('flat no-caps')
                    self.submit_button = ui.button(on_click=self.submit).props('unelevated no-caps')
        # the address this page was reached at is the one a script on another machine can reach too
        url = str(ui.context.client.request.base_url).rstrip('/')
        script_snippets.section(url, bool(self.service.config.password))
        self.when.mode.on_value_change(lambda e: self._label_submit(e.value))
        self._label_submit(self.when.mode.value)
        self._draw_picker()
        self._draw_form()

    def _label_submit(self, mode: str) -> None:
        text, icon = SUBMIT_LABELS[mode]
        self.submit_button.text = text
        self.submit_button.props(f'icon={icon}')

    def _draw_picker(self) -> None:
        self.picker.clear()
        with self.picker:
            for name, kind in self.kinds.items():
                selected = name == self.kind
                with ui.card().tight().classes('w-full cursor-pointer' + (' bg-primary text-white' if selected
                                                                           else '')).on(
                        'click', lambda n=name: self._choose(n)).mark(f'kind-{name}'):
                    with ui.row().classes('items-center gap-3 p-3 no-wrap'):
                        ui.icon(kind['icon'], size='sm')
                        with ui.column().classes('gap-0'):
                            ui.label(kind['title']).classes('font-medium')
                            if kind['source'] != 'builtin':
                                ui.label('plugin').classes('text-xs opacity-70')

    def _choose(self, name: str) -> None:
        self.kind = name
        self._draw_picker()
        self._draw_form()

    def _draw_form(self) -> None:
        kind = self.kinds[self.kind]
        self.heading.text = kind['title']
        self.description.text = kind['description']
        self.problems.text = ''
        self.form_box.clear()
        with self.form_box:
            self.paths = PathTools(self.service)
            self.form = ParamsForm(kind['params_schema'], self.paths)
            if not kind['params_schema'].get('properties'):
                ui.label('This kind takes no parameters.').classes('muted')

    async def submit(self) -> None:
        """Start the job (or create the schedule) once: a double click or Enter pressed twice while the first
        submission is on its way must not start it twice."""
        if self.submitting:
            return
        self.submitting, done = True, False
        try:
            done = await self._submit()
        finally:
            self.submitting = done  # once done, the page is going away: nothing more to submit

    async def _submit(self) -> bool:
        assert self.form is not None
        self.problems.text = ''
        self.when.clear_errors()
        self.attempt_fields.clear_errors()
        if (upload := self.paths.uploading) is not None:  # its path is not there yet: start once it is
            upload.then(self.submit)
            ui.notify('The job starts as soon as the upload completes', type='info')
            return False
        try:
            params = self.form.values()
            when = self.when.trigger() if self.when.repeating else self.when.submit_args()
        except FormError as exc:
            exc.element.error = str(exc)
            return False
        name = (self.name.value or '').strip() or None
        priority = int(self.priority.value or 0)
        self.submit_button.props('loading')
        try:
            notify = True if self.notify.value else None  # unticked: as the settings say
            notify_to = {'notify_to': urls} if (urls := (self.notify_to.value or '').split()) else {}
            policy = self.attempt_fields.values()  # time limit and retries
            if self.when.repeating:
                schedule = await run.io_bound(self.service.schedules.create, {
                    'kind': self.kind, 'params': params, 'name': name, 'priority': priority, 'notify': notify,
                    **policy, **notify_to, **when})
                if schedule is not None:
                    ui.notify(f"Schedule {schedule['name']} created", type='positive')
                    ui.navigate.to('/schedules')
                return schedule is not None
            options = {**policy, **notify_to, **({} if notify is None else {'notify': notify})} or None
            job = await run.io_bound(self.service.submit, self.kind, params, name=name, priority=priority,
                                     options=options, **when)
        except InvalidParams as exc:
            errors = [e for e in exc.errors if not e['loc'] or e['loc'][0] != 'notify_to']
            self.notify_to.error = '; '.join(e['msg'] for e in exc.errors if e not in errors) or None
            loose = self.form.show_errors(self.attempt_fields.show_errors(self.when.show_errors(errors)))
            self.problems.text = '; '.join(loose) or 'Please correct the fields marked in red.'
            return False
        except ProgressAppError as exc:
            self.problems.text = str(exc)
            return False
        finally:
            self.submit_button.props(remove='loading')
        if job is None:  # the page is going away
            return False
        job_actions.open_started(job, 'Scheduled' if job['status'] == 'scheduled' else 'Started')
        return True


def create(service: JobService) -> None:
    @ui.page('/new')
    def new_job(kind: str | None = None, when: str | None = None) -> None:
        with frame(service, 'New job', '/new'):
            NewJob(service, kind, when).build()
