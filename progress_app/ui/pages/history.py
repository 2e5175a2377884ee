"""`/history`: what finished, how often it worked and how long it took.

Counts, success rates and durations come aggregated from the database (`JobService.history`) and the table is
paged and sorted on the server, so the page stays quick with many thousands of finished jobs. A cheap poll of the
status counts redraws the page when jobs finish, are retried or removed.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from nicegui import run, ui

from progress_app.runtime.service import JobService
from progress_app.ui import format as fmt
from progress_app.ui.components import history_charts as charts
from progress_app.ui.theme import STATUS_COLORS, STATUS_ICONS, frame

POLL_SECONDS = 2.0
RANGES = {'24 h': 86400, '7 days': 7 * 86400, '30 days': 30 * 86400, 'All': None}
RANGE_TEXT = {'24 h': 'in the last 24 hours', '7 days': 'in the last 7 days', '30 days': 'in the last 30 days',
              'All': 'yet'}
STATUS_FILTERS = {'All': (), 'Completed': ('completed',), 'Failed': ('failed',), 'Cancelled': ('cancelled',)}
SORTS = {'name': 'name', 'kind': 'kind', 'status': 'status', 'finished': 'finished_at', 'duration': 'elapsed',
         'attempts': 'attempts', 'memory': 'peak_rss_bytes', 'cpu': 'cpu_seconds'}
PAGE = {'page': 1, 'rowsPerPage': 25, 'sortBy': 'finished', 'descending': True, 'rowsNumber': 0}

COLUMNS = [
    {'name': 'name', 'label': 'Job', 'field': 'name', 'align': 'left', 'sortable': True},
    {'name': 'kind', 'label': 'Kind', 'field': 'kind', 'align': 'left', 'sortable': True},
    {'name': 'status', 'label': 'Status', 'field': 'status', 'align': 'left', 'sortable': True},
    {'name': 'finished', 'label': 'Finished', 'field': 'finished', 'align': 'left', 'sortable': True},
    {'name': 'duration', 'label': 'Duration', 'field': 'duration', 'align': 'right', 'sortable': True},
    {'name': 'attempts', 'label': 'Attempts', 'field': 'attempts', 'align': 'right', 'sortable': True},
    {'name': 'memory', 'label': 'Peak memory', 'field': 'memory', 'align': 'right', 'sortable': True},
    {'name': 'cpu', 'label': 'CPU time', 'field': 'cpu', 'align': 'right', 'sortable': True},
    {'name': 'error', 'label': 'Error', 'field': 'error', 'align': 'left'},
]
NAME_SLOT = r'''
<q-td :props="props">
  <a :href="'/jobs/' + props.row.id" class="text-primary font-medium" style="text-decoration:none"
     @click.stop>{{ props.row.name }}</a>
  <span class="text-xs muted"> #{{ props.row.id }}</span>
</q-td>'''
STATUS_SLOT = r'''
<q-td :props="props"><q-badge :color="props.row.color" :label="props.row.status" class="px-2 py-1"/></q-td>'''
FINISHED_SLOT = r'''
<q-td :props="props" style="white-space: nowrap">{{ props.row.finished }}
  <q-tooltip>{{ props.row.finished_full }}</q-tooltip></q-td>'''
ERROR_SLOT = r'''
<q-td :props="props" style="max-width: 360px">
  <div v-if="props.row.error" class="text-sm ellipsis text-negative" :title="props.row.error">
    {{ props.row.error }}</div>
  <div v-if="props.row.error_stage" class="text-xs muted">in stage {{ props.row.error_stage }}</div>
</q-td>'''


def when(iso: str | None, today: datetime | None = None) -> tuple[str, str]:
    """('today 14:03', '2025-03-04 14:03:12') in local time: short for the cell, full for its tooltip."""
    if not iso:
        return '—', ''
    at = datetime.fromisoformat(iso).astimezone()
    today = today or datetime.now().astimezone()
    days = (today.date() - at.date()).days
    short = (f'today {at:%H:%M}' if days == 0 else f'yesterday {at:%H:%M}' if days == 1
             else f'{at.day} {at:%b} {at:%H:%M}' if at.year == today.year else f'{at.day} {at:%b} {at.year}')
    return short, f'{at:%Y-%m-%d %H:%M:%S}'


def table_row(job: dict[str, Any]) -> dict[str, Any]:
    finished, full = when(job['finished_at'])
    error = (job['error'] or '').strip().splitlines()
    return {'id': job['id'], 'name': job['name'], 'kind': job['kind'], 'status': job['status'],
            'color': STATUS_COLORS[job['status']], 'finished': finished, 'finished_full': full,
            'duration': fmt.duration(job['elapsed_seconds']) if job['started_at'] else '—',
            'attempts': job['attempts'], 'error': error[0][:160] if error else '',
            'memory': fmt.size(job['peak_rss_bytes']) if job.get('peak_rss_bytes') is not None else '—',
            'cpu': fmt.duration(job['cpu_seconds']) if job.get('cpu_seconds') is not None else '—',
            'error_stage': job['error_stage'] if job['status'] == 'failed' else None}


class History:
    def __init__(self, service: JobService) -> None:
        self.service = service
        self.kinds = {k['name']: k['title'] for k in service.kinds()}
        self.range = '7 days'
        self.kind: str | None = None
        self.status = 'All'
        self.search = ''
        self.pagination = dict(PAGE)
        self.seen: tuple[int, ...] | None = None
        self.busy = False

    def build(self) -> None:
        ui.add_head_html(charts.DURATION_JS)
        with ui.row().classes('w-full items-center gap-3'):
            with ui.column().classes('gap-0'):
                ui.label('History').classes('text-2xl font-semibold')
                ui.label('Jobs that completed, failed or were cancelled').classes('text-sm muted')
            ui.space()
            with ui.row().classes('items-center gap-3') as self.controls:
                self.range_toggle = ui.toggle(list(RANGES), value=self.range,
                                              on_change=lambda e: self._set(range=e.value))
                self.range_toggle.props('no-caps unelevated toggle-color=primary padding="4px 12px"').classes(
                    'shadow-sm')
                self.kind_select = ui.select({None: 'All kinds', **self.kinds}, value=None,
                                             on_change=lambda e: self._set(kind=e.value))
                self.kind_select.props('dense outlined options-dense').classes('min-w-[150px]')
        with ui.column().classes('w-full items-center q-pa-xl gap-2 muted') as self.empty:
            ui.icon('insights', size='56px')
            ui.label('No finished jobs yet').classes('text-h6')
            ui.label('When jobs complete, fail or are cancelled, they are listed here with charts of how often '
                     'they succeed and how long they take.').classes('text-center max-w-[520px]')
            ui.button('Start a job', icon='add', on_click=lambda: ui.navigate.to('/new')).props('unelevated no-caps')
        with ui.column().classes('w-full gap-4') as self.content:
            self._summary()
            with ui.card().classes('w-full'):
                self.bucket_title = ui.label('Finished jobs per day').classes('text-lg font-medium')
                self.per_bucket = ui.echart({}).classes('w-full h-72')
            with ui.row().classes('w-full gap-4 items-stretch'):
                with ui.card().classes('grow basis-[420px]'):
                    ui.label('Success rate by kind').classes('text-lg font-medium')
                    ui.label('completed ÷ (completed + failed); cancelled jobs are left out').classes(
                        'text-xs muted')
                    self.success = ui.echart({}).classes('w-full')
                with ui.card().classes('grow basis-[420px]'):
                    ui.label('Duration by kind').classes('text-lg font-medium')
                    ui.label('active running time of completed jobs (pauses and waits not counted)').classes(
                        'text-xs muted')
                    self.durations = ui.echart({}).classes('w-full')
            self._table()
        for part in (self.controls, self.content, self.empty):
            part.set_visibility(False)
        ui.timer(0, self.refresh, once=True)
        ui.timer(POLL_SECONDS, self._poll)

    def _summary(self) -> None:
        self.cards: dict[str, ui.label] = {}
        with ui.row().classes('w-full gap-3'):
            for key, label, icon, color, status in (
                    ('finished', 'Finished', 'done_all', 'primary', 'All'),
                    ('success_rate', 'Success rate', 'verified', 'green-7', 'All'),
                    ('failed', 'Failed', STATUS_ICONS['failed'], STATUS_COLORS['failed'], 'Failed'),
                    ('cancelled', 'Cancelled', STATUS_ICONS['cancelled'], STATUS_COLORS['cancelled'], 'Cancelled'),
                    ('seconds', 'Running time', 'timer', 'blue-7', None)):
                card = ui.card().tight().classes('min-w-[150px] grow').mark(f'card-{key}')
                if status:
                    card.classes('cursor-pointer').on('click', lambda s=status: self._set_status(s))
                with card, ui.row().classes('items-center gap-3 p-3 no-wrap'):
                    ui.icon(icon, size='md').classes(f'text-{color}')
                    with ui.column().classes('gap-0'):
                        self.cards[key] = ui.label('—').classes('text-2xl font-semibold leading-none')
                        ui.label(label).classes('text-xs muted uppercase tracking-wide')

    def _table(self) -> None:
        with ui.card().classes('w-full'):
            with ui.row().classes('w-full items-center gap-3'):
                ui.label('Finished jobs').classes('text-lg font-medium')
                ui.space()
                self.status_toggle = ui.toggle(list(STATUS_FILTERS), value=self.status,
                                               on_change=lambda e: self._set(status=e.value))
                self.status_toggle.props('no-caps unelevated toggle-color=primary padding="2px 10px"')
                ui.input(placeholder='Search name, error or #id', on_change=lambda e: self._set(search=e.value or '')
                         ).props('dense outlined clearable debounce=300 prepend-icon=search').classes('min-w-[240px]')
            self.table = ui.table(columns=COLUMNS, rows=[], row_key='id', pagination=self.pagination).classes(
                'w-full cursor-pointer')
            self.table.props('flat wrap-cells :rows-per-page-options="[25, 50, 100]"')
            self.table.props('no-data-label="No finished jobs match these filters"')
            for name, template in (('name', NAME_SLOT), ('status', STATUS_SLOT), ('finished', FINISHED_SLOT),
                                   ('error', ERROR_SLOT)):
                self.table.add_slot(f'body-cell-{name}', template)
            self.table.on('request', self._request, js_handler='(request) => emit(request.pagination)')
            self.table.on_pagination_change(self._keep_row_count)
            self.table.on('rowClick', lambda e: ui.navigate.to(f'/jobs/{e.args}'),
                          js_handler='(event, row) => emit(row.id)')

    def _set(self, **changes: Any) -> None:
        for name, value in changes.items():
            setattr(self, name, value)
        self.pagination['page'] = 1
        ui.timer(0, self.refresh, once=True)

    def _set_status(self, status: str) -> None:
        self.status_toggle.value = status  # its on_change refreshes

    async def _request(self, event: Any) -> None:
        self.pagination.update({k: event.args[k] for k in ('page', 'rowsPerPage', 'sortBy', 'descending')
                                if k in event.args})
        await self.refresh()

    def _keep_row_count(self, event: Any) -> None:
        """The row count is the server's: Quasar echoes the pagination it was mounted with (no count yet), and
        that echo may come after the first listing, which would leave the footer at '1-0 of 0' and no next page."""
        if event.value.get('rowsNumber') != self.pagination['rowsNumber']:
            self.table.pagination = event.value | {'rowsNumber': self.pagination['rowsNumber']}

    async def _poll(self) -> None:
        stats = await run.io_bound(self.service.stats)
        if stats is not None and self._signature(stats) != self.seen and not self.busy:
            await self.refresh()

    @staticmethod
    def _signature(stats: dict[str, int]) -> tuple[int, ...]:
        return stats['completed'], stats['failed'], stats['cancelled']

    async def refresh(self) -> None:
        self.busy = True
        try:
            loaded = await run.io_bound(self._load)
        finally:
            self.busy = False
        if loaded is None:  # the page is going away
            return
        stats, history, listing = loaded
        self.seen = self._signature(stats)
        ever = stats['total_processed'] > 0
        self.empty.set_visibility(not ever)
        self.content.set_visibility(ever)
        self.controls.set_visibility(ever)
        if ever:
            self._show_history(history)
            self._show_listing(listing)

    def _load(self) -> tuple[dict[str, int], dict[str, Any], dict[str, Any]]:
        span = RANGES[self.range]
        since = None if span is None else datetime.now().timestamp() - span
        history = self.service.history(since, self.kind, bucket='hour' if self.range == '24 h' else 'day')
        page = self.pagination
        listing = self.service.finished(
            status=STATUS_FILTERS[self.status], kind=self.kind, search=self.search, since=since,
            sort=SORTS.get(page.get('sortBy') or 'finished', 'finished_at'),
            descending=bool(page.get('descending')) if page.get('sortBy') else True,
            limit=page['rowsPerPage'] or 1000, offset=(page['page'] - 1) * (page['rowsPerPage'] or 1000))
        return self.service.stats(), history, listing

    def _show_history(self, history: dict[str, Any]) -> None:
        totals = history['totals']
        self.cards['finished'].text = f"{totals['finished']:,}"
        rate = totals['success_rate']
        self.cards['success_rate'].text = '—' if rate is None else f'{rate * 100:.0f} %'
        self.cards['failed'].text = f"{totals['failed']:,}"
        self.cards['cancelled'].text = f"{totals['cancelled']:,}"
        self.cards['seconds'].text = fmt.duration(totals['seconds']) if totals['finished'] else '—'
        self.bucket_title.text = f"Finished jobs per {history['bucket']}"
        nothing = f'No jobs finished {RANGE_TEXT[self.range]}' + (f' of kind {self.kind}' if self.kind else '')
        self._draw(self.per_bucket, charts.per_bucket(history, nothing))
        self._draw(self.success, charts.success_by_kind(history, 'No completed or failed jobs in this period'))
        self._draw(self.durations, charts.duration_by_kind(history, 'No completed jobs in this period'))
        shown = len(history['kinds']) or 1
        self.success.style(charts.chart_height(shown))
        self.durations.style(charts.chart_height(shown))

    @staticmethod
    def _draw(chart: ui.echart, options: dict[str, Any]) -> None:
        if chart.options != options:
            chart.options.clear()
            chart.options.update(options)
            chart.update()

    def _show_listing(self, listing: dict[str, Any]) -> None:
        self.table.rows = [table_row(job) for job in listing['items']]
        self.pagination['rowsNumber'] = listing['total']
        self.table.pagination = dict(self.pagination)


def create(service: JobService) -> None:
    @ui.page('/history')
    def history() -> None:
        with frame(service, 'History', '/history'):
            History(service).build()
