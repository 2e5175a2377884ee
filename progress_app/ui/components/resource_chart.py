"""A job's 'CPU and memory' card (issue 17, item 7): CPU now, memory now and at its peak, CPU time in all, and a
small chart of CPU % and memory since the page was opened, ticked on live from the job's `resources` (sampled by
the app about once a second). A finished job shows what it kept: its peak and its total."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from nicegui import ui

from progress_app.ui import format as fmt

POINTS = 300  # five minutes of samples; older ones scroll off
MB = 1_000_000
CPU_COLOR = '#3b82f6'
MEMORY_COLOR = '#10b981'


def facts(resources: dict[str, Any] | None) -> dict[str, str]:
    """The card's four figures as people read them ('—' where unknown)."""
    r = resources or {}
    return {'CPU': '—' if r.get('cpu_percent') is None else f"{r['cpu_percent']:.0f} %",
            'Memory': '—' if r.get('rss_bytes') is None else fmt.size(r['rss_bytes']),
            'Peak memory': '—' if r.get('peak_rss_bytes') is None else fmt.size(r['peak_rss_bytes']),
            'CPU time': '—' if r.get('cpu_seconds') is None else fmt.duration(r['cpu_seconds'])}


def chart_options() -> dict[str, Any]:
    axis_line = {'lineStyle': {'color': 'rgba(128, 128, 128, 0.25)'}}
    return {
        'animation': False, 'grid': {'left': 44, 'right': 52, 'top': 28, 'bottom': 24},
        'tooltip': {'trigger': 'axis'}, 'legend': {'top': 0, 'textStyle': {'color': '#8a94a6'}},
        'xAxis': {'type': 'time', 'splitLine': {'show': False}, 'axisLabel': {'hideOverlap': True}},
        'yAxis': [{'type': 'value', 'name': 'CPU %', 'min': 0, 'splitLine': axis_line},
                  {'type': 'value', 'name': 'MB', 'min': 0, 'splitLine': {'show': False}}],
        'series': [{'type': 'line', 'name': 'CPU %', 'showSymbol': False, 'data': [], 'color': CPU_COLOR},
                   {'type': 'line', 'name': 'Memory MB', 'showSymbol': False, 'data': [], 'yAxisIndex': 1,
                    'color': MEMORY_COLOR, 'areaStyle': {'opacity': 0.12}}],
    }


class ResourceChart:
    """The card; the page ticks it once a second (the app measures about that often) from `snapshot()`."""

    def __init__(self, snapshot: Callable[[], dict[str, Any]]) -> None:
        self.snapshot = snapshot
        self.last: dict[str, Any] | None = None
        with ui.card().classes('grow basis-[420px]').mark('resources') as self.card:
            ui.label('CPU and memory').classes('text-lg font-medium')
            with ui.row().classes('w-full gap-8 text-sm'):
                self.labels = {name: self._fact(name) for name in facts(None)}
            self.chart = ui.echart(chart_options()).classes('w-full h-40')
            self.empty = ui.label('No samples yet: the app measures running jobs about once a second.').classes(
                'muted text-sm')
        self.tick()

    @staticmethod
    def _fact(name: str) -> ui.label:
        with ui.column().classes('gap-0'):
            ui.label(name).classes('text-xs uppercase muted tracking-wide')
            return ui.label('—').classes('font-medium mono').mark(f'resource-{name.lower().replace(" ", "-")}')

    def tick(self) -> None:
        job = self.snapshot()
        resources = job.get('resources')
        for name, text in facts(resources).items():
            self.labels[name].text = text
        self.empty.set_visibility(resources is None)
        live = resources is not None and job['status'] in ('running', 'paused', 'cancelling')
        self.chart.set_visibility(live or bool(self.chart.options['series'][0]['data']))
        if not live or resources == self.last:
            return
        self.last = resources
        now = time.time() * 1000
        cpu, memory = (series['data'] for series in self.chart.options['series'])
        cpu.append([now, resources['cpu_percent']])
        memory.append([now, None if resources['rss_bytes'] is None else round(resources['rss_bytes'] / MB, 1)])
        del cpu[:-POINTS], memory[:-POINTS]
        self.chart.update()
