"""A first dashboard: one table of jobs refreshed by one timer (the full UI comes with its own issue)."""

from __future__ import annotations

from nicegui import run, ui

from progress_app.runtime.service import JobService

COLUMNS = [
    {'name': 'id', 'label': '#', 'field': 'id', 'align': 'left'},
    {'name': 'name', 'label': 'Name', 'field': 'name', 'align': 'left'},
    {'name': 'kind', 'label': 'Kind', 'field': 'kind', 'align': 'left'},
    {'name': 'status', 'label': 'Status', 'field': 'status', 'align': 'left'},
    {'name': 'progress', 'label': 'Progress', 'field': 'progress', 'align': 'right'},
    {'name': 'stage', 'label': 'Stage', 'field': 'stage', 'align': 'left'},
    {'name': 'message', 'label': 'Message', 'field': 'message', 'align': 'left'},
]


def create(service: JobService) -> None:
    @ui.page('/')
    async def dashboard() -> None:
        ui.label('Progress App').classes('text-2xl font-bold')
        table = ui.table(columns=COLUMNS, rows=[], row_key='id').classes('w-full')

        async def refresh() -> None:
            listing = await run.io_bound(service.list, limit=100)
            table.rows = [{**job, 'progress': f"{job['progress']:.1f} %"} for job in listing['items']]

        await refresh()
        ui.timer(1.0, refresh)
