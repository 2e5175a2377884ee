"""`/`: every job at a glance, live. One table paged on the server, so it stays smooth with thousands of jobs.

Pushed, not polled (ui/live.py): the rows in view follow their live jobs as the bus publishes them, and the list
is read from the database only when its shape may have changed (a job added, removed or changing status, another
filter or page), once for all the tabs showing the same view (ui/listings.py).
"""

from __future__ import annotations

import asyncio
import time
from functools import partial
from typing import Any

from nicegui import background_tasks, ui

from progress_app.domain.status import ACTIVE_NAMES
from progress_app.runtime import Job, Message
from progress_app.runtime.service import JobService
from progress_app.ui import external, rows
from progress_app.ui.components import job_actions
from progress_app.ui.components.job_card import CARD_SLOT
from progress_app.ui.components.job_table import (
    ACTIONS_SLOT,
    COLUMNS,
    DETAIL_SLOT,
    NAME_SLOT,
    PROGRESS_SLOT,
    STABLE_SLOTS_JS,
    STATUS_SLOT,
)
from progress_app.ui.listings import Loaded
from progress_app.ui.live import Page, feed_of
from progress_app.ui.theme import STATUS_COLORS, STATUS_ICONS, frame

READ_SECONDS = 0.2
"""While jobs keep changing status, a tab reads its list at most this often."""
SAME_PLACE = frozenset({'stage', 'progress', 'message', 'stalled', 'unstalled', 'overdue'})
"""History events that leave the job's status as it was: its row changes, the list does not. The recorder stores a
progress event for the running jobs in turn (up to 25 a second with hundreds running): read as a change of shape,
each had every tab read its list again (bench/ui_latency.py)."""
BULK_ACTIONS = ('start', 'pause', 'resume', 'retry', 'cancel', 'remove')  # offered where a selected job allows it
PAGE_SIZES = [25, 50, 100]
# Quasar draws one button per page unless told otherwise: 4,000 of them for 100,000 jobs, which kept Chromium busy
# for seconds on every page load and search (bench/scale.py). A window around the current page, the first and last.
PAGE_BUTTONS = 7
FILTERS = {'All': (), 'Active': ACTIVE_NAMES, 'Queued': ('queued',), 'Running': ('running',),
           'Paused': ('paused',), 'Scheduled': ('scheduled',), 'Completed': ('completed',), 'Failed': ('failed',),
           'Cancelled': ('cancelled',)}



class Dashboard(Page):
    def __init__(self, service: JobService) -> None:
        self.service = service
        self.kinds = {k['name']: k for k in service.kinds()}
        self.icons = {name: k['icon'] for name, k in self.kinds.items()}
        self.pausable = {name: k['pausable'] for name, k in self.kinds.items()}
        self.feed = feed_of(service)
        self.listings = self.feed.listings
        self.reading = False  # a read of the list is under way
        self.read_again = False  # ...and the shape changed meanwhile: read once more when it is done
        self.shown: dict[int, int] = {}  # job id → its row's place in the table
        self.filter = 'All'
        self.kind: str | None = None
        self.search = ''
        self.page = 1
        self.page_size = PAGE_SIZES[0]
        self.total = 0

    def build(self) -> None:
        ui.add_body_html(STABLE_SLOTS_JS)
        self._stats()
        with ui.row().classes('w-full items-center gap-3'):
            # the filters as a toggle where nine buttons fit on a line, as a menu on a phone
            self.filter_pickers = [
                ui.toggle(list(FILTERS), value=self.filter, on_change=lambda e: self._set(filter=e.value)).props(
                    'no-caps dense unelevated toggle-color=primary').classes('shadow-sm flex-wrap gt-xs'),
                ui.select(list(FILTERS), value=self.filter, on_change=lambda e: self._set(filter=e.value)).props(
                    'dense outlined options-dense').classes('xs grow basis-0')]
            kinds = {n: k['title'] for n, k in self.kinds.items()} | {external.KIND: 'External runs'}
            ui.select({None: 'All kinds', **kinds}, value=None,
                      on_change=lambda e: self._set(kind=e.value)).props('dense outlined options-dense').classes(
                'min-w-[140px] grow basis-0 sm:grow-0 sm:basis-auto')
            ui.input(placeholder='Search name or #id', on_change=lambda e: self._set(search=e.value or '')).props(
                'dense outlined clearable debounce=300').classes('min-w-[220px] grow sm:grow-0').props(
                'prepend-icon=search')
            ui.space().classes('gt-xs')
            self.bulk = ui.row().classes('items-center gap-2')
        self.damaged = ui.column().classes('w-full')
        self.damaged.set_visibility(False)
        self.damaged_shown: list[dict[str, Any]] = []
        self.table = ui.table(columns=COLUMNS, rows=[], row_key='id', selection='multiple').classes('w-full')
        self.table.props('flat bordered wrap-cells hide-pagination hide-selected-banner :rows-per-page-options="[0]"'
                         ' :grid="Quasar.Screen.lt.md"')  # a card per job where seven columns do not fit ($q.screen)
        for name, template in (('name', NAME_SLOT), ('status', STATUS_SLOT), ('progress', PROGRESS_SLOT),
                               ('detail', DETAIL_SLOT), ('actions', ACTIONS_SLOT)):
            self.table.add_slot(f'body-cell-{name}', template)
        self.table.add_slot('item', CARD_SLOT)
        with ui.column().classes('w-full items-center q-pa-xl gap-2 muted') as self.empty:
            ui.icon('hourglass_empty', size='48px')
            self.empty_title = ui.label('No jobs yet').classes('text-h6')
            self.empty_hint = ui.label('Start one with New job, or submit one over the API.')
            self.empty_button = ui.button('Start a job', icon='add', on_click=lambda: ui.navigate.to('/new')).props(
                'unelevated no-caps')
        self.table.on('act', self._act)
        self.table.on('selection', lambda _: self._show_bulk())
        with ui.row().classes('w-full items-center justify-between'):
            self.summary = ui.label().classes('text-sm muted')
            with ui.row().classes('items-center gap-2'):
                ui.select(PAGE_SIZES, value=self.page_size, on_change=lambda e: self._set(page_size=e.value)).props(
                    'dense outlined options-dense').tooltip('Rows per page')
                self.pager = ui.pagination(1, 1, direction_links=True, on_change=lambda e: self._set_page(e.value))
                self.pager.props(f'max-pages={PAGE_BUTTONS} boundary-numbers')
        self._show_bulk()
        self.read_soon()
        self.feed.add(self)

    def _stats(self) -> None:
        self.stat_labels: dict[str, ui.label] = {}
        with ui.row().classes('w-full gap-2 sm:gap-3'):  # three to a row on a phone, without their icons
            for status, label in (('running', 'Running'), ('queued', 'Queued'), ('paused', 'Paused'),
                                  ('scheduled', 'Scheduled'), ('completed', 'Completed'), ('failed', 'Failed')):
                with ui.card().tight().classes('cursor-pointer min-w-[100px] grow basis-0').on(
                        'click', lambda s=label: self._set(filter=s)):
                    with ui.row().classes('items-center gap-3 p-2 sm:p-3 no-wrap'):
                        ui.icon(STATUS_ICONS[status], size='md').classes(f'text-{STATUS_COLORS[status]} gt-xs')
                        with ui.column().classes('gap-0'):
                            self.stat_labels[status] = ui.label('0').classes('text-2xl font-semibold leading-none')
                            ui.label(label).classes('text-xs muted uppercase tracking-wide')

    def _set(self, **changes: Any) -> None:
        if all(getattr(self, name) == value for name, value in changes.items()):
            return  # a picker following another (a status card sets the toggle and the menu)
        for name, value in changes.items():
            setattr(self, name, value)
        for picker in self.filter_pickers:
            picker.value = self.filter
        self.page = 1
        self.pager.value = 1
        self.table.selected = []
        self._show_bulk()
        self.read_soon()

    def _set_page(self, page: int) -> None:
        self.page = page
        self.read_soon()

    # -- pushed: the feed calls these on the event loop ----------------------------------------------------------
    def changed(self, state: list[Message], moved: dict[int, Job]) -> bool:
        if any(not _same_place(message) for message in state):
            # a job added, removed or changing status: the list's shape may have changed
            self.listings.changed()
            self.read_soon()
        ids = {job_id for job_id in moved if job_id in self.shown}
        ids.update(job_id for message in state if (job_id := (message.get('job') or {}).get('id')) in self.shown)
        shown = [job for job_id in ids if (job := moved.get(job_id) or self.service.live_job(job_id)) is not None]
        if shown:
            self._update_rows(shown)
        return bool(state or shown)

    def tick(self, now: float) -> None:
        """Elapsed times and ETAs go on without news from the jobs."""
        live = [job for job_id in self.shown if (job := self.service.live_job(job_id)) is not None
                and job.status.value in ACTIVE_NAMES]
        if live:
            self._update_rows(live)

    def refresh(self) -> None:
        self.read_soon()

    def _update_rows(self, jobs: list[Job]) -> None:
        table_rows = list(self.table.rows)
        for job in jobs:
            place = self.shown.get(job.id)
            if place is not None:
                table_rows[place] = self._row(job.snapshot())
        self.table.rows = table_rows

    def _now(self, item: dict[str, Any]) -> dict[str, Any]:
        """A listed job as it is now: the list may have been read a while ago for another tab, and a running job
        has moved since."""
        job = self.service.live_job(item['id']) if item['status'] == 'running' else None
        return item if job is None or job.status.value != 'running' else job.snapshot()

    def _row(self, job: dict[str, Any]) -> dict[str, Any]:
        return rows.row(job, self.icons, STATUS_COLORS, self.pausable.get(job['kind'], True))

    def read_soon(self) -> None:
        """Read the list again (shared with the other tabs showing this view); once more after a read under way."""
        if self.reading:
            self.read_again = True
            return
        self.reading = True
        background_tasks.create(self._read(), name='dashboard list')

    async def _read(self) -> None:
        try:
            while True:
                self.read_again = False
                view = (self.filter, self.kind, self.search, self.page, self.page_size)
                started = time.monotonic()
                loaded = await self.listings.get(view, partial(self._load, *view))
                if loaded is None:  # the app is going away
                    return
                if view == (self.filter, self.kind, self.search, self.page, self.page_size):
                    self._show(loaded)
                if not self.read_again:
                    return
                # jobs keep changing status (a burst of starts): the list is read at most every READ_SECONDS
                await asyncio.sleep(max(0.0, started + READ_SECONDS - time.monotonic()))
        finally:
            self.reading = False

    def refresh_now(self) -> None:
        """Read the list again now (after an action of this tab's)."""
        self.listings.changed()
        self.read_soon()

    def _show(self, loaded: Loaded) -> None:
        listing, stats = loaded
        self.total = listing['total']
        self.table.rows = [self._row(self._now(job)) for job in listing['items']]
        self.shown = {job['id']: place for place, job in enumerate(listing['items'])}
        self._show_empty(listing['total'] == 0)
        if listing['unreadable'] != self.damaged_shown:
            self._show_damaged(listing['unreadable'])
        pages = max(1, -(-self.total // self.page_size))
        if self.pager.max != pages:
            self.pager.max = pages
        first = (self.page - 1) * self.page_size + 1 if self.total else 0
        self.summary.text = f'{first}–{min(self.page * self.page_size, self.total)} of {self.total} jobs'
        for status, label in self.stat_labels.items():
            label.text = f'{stats[status]:,}'

    def _show_damaged(self, damaged: list[dict[str, Any]]) -> None:
        """Jobs of this page whose stored row is damaged: what is wrong with each, and a way to remove it."""
        self.damaged_shown = damaged
        self.damaged.clear()
        self.damaged.set_visibility(bool(damaged))
        if not damaged:
            return
        with self.damaged, ui.card().classes('w-full border-l-4 border-red-600'):
            ui.label(f'{len(damaged)} job(s) on this page could not be read from the database').classes(
                'font-medium')
            for job in damaged:
                with ui.row().classes('w-full items-center no-wrap gap-2'):
                    ui.icon('error', color='red-7')
                    ui.label(f"#{job['id']} {job['name']}: {job['error']}").classes('text-sm grow')
                    ui.button('Remove', icon='delete', on_click=lambda i=job['id']: self._act_on(i, 'remove')).props(
                        'outline dense no-caps color=grey-8').mark(f"remove-damaged-{job['id']}")

    async def _act_on(self, job_id: int, action: str) -> None:
        if await job_actions.perform(self.service, job_id, action):
            self.refresh_now()

    def _show_empty(self, empty: bool) -> None:
        self.table.set_visibility(not empty)
        self.empty.set_visibility(empty)
        filtered = self.filter != 'All' or self.kind or self.search
        self.empty_title.text = 'No jobs match' if filtered else 'No jobs yet — start one'
        self.empty_hint.text = 'Try another filter or search.' if filtered else \
            'Pick what to run under New job, or submit one over the HTTP API.'
        self.empty_button.set_visibility(not filtered)

    def _load(self, filter: str, kind: str | None, search: str, page: int, page_size: int) -> Loaded:
        listing = self.service.list(status=FILTERS[filter], kind=kind, search=search, limit=page_size,
                                    offset=(page - 1) * page_size, running_first=True)
        return listing, self.service.stats()

    async def _act(self, event: Any) -> None:
        await self._act_on(event.args['id'], event.args['action'])

    def _show_bulk(self) -> None:
        self.bulk.clear()
        selected = [r['id'] for r in self.table.selected]
        self.bulk.set_visibility(bool(selected))  # empty, it would still take a gap (a line of its own on a phone)
        if not selected:
            return
        offered = [a for a in BULK_ACTIONS if any(a in row['actions'] for row in self.table.selected)]
        with self.bulk:
            ui.label(f'{len(selected)} selected').classes('text-sm')
            for action in offered:
                icon, _, color = job_actions.BUTTONS[action]
                ui.button(action.capitalize(), icon=icon, on_click=lambda a=action: self._bulk(a)).props(
                    f'outline dense no-caps color={color}').mark(f'bulk-{action}')

    async def _bulk(self, action: str) -> None:
        ids = [r['id'] for r in self.table.selected]
        await job_actions.perform_many(self.service, ids, action)
        self.table.selected = []
        self._show_bulk()
        self.refresh_now()


def _same_place(message: Message) -> bool:
    """A state message that changes a job's row but not which jobs the list shows, nor their order or counts."""
    event = message.get('event')
    return message['type'] == 'job_update' and event is not None and event.get('type') in SAME_PLACE


def create(service: JobService) -> None:
    @ui.page('/')
    def dashboard() -> None:
        with frame(service, 'Dashboard', '/'):
            Dashboard(service).build()
