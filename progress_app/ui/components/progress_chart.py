"""A job's 'Progress over time' card: its percent over time, read from its history, then followed live.

Each attempt is a line of its own: an interruption (a restart of the app, a failure and a retry) leaves a gap with
a dashed mark saying which attempt began there, not a fall to 0 and back. A job that ended having run for less
than `SHORT_SECONDS` in all gets one line instead of a chart: a line over a few milliseconds, with millisecond
labels, says nothing that line does not.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from nicegui import ui

from progress_app.domain.status import FINISHED_NAMES
from progress_app.runtime.service import JobService
from progress_app.ui import format as fmt

CHART_POINTS = 600  # the line is thinned to this many points
SHORT_SECONDS = 2.0  # a job that ended having run less than this shows no chart
# an attempt's line ends here, at the percent it had reached
ENDS = ('interrupted', 'attempt_failed', 'failed', 'cancelled')
MARK_COLOR = '#8a94a6'  # reads on the light and the dark theme


@dataclass
class Line:
    """Points [ms, percent] with [ms, None] where a line breaks off, and the marks where attempts begin."""

    points: list[list[float | None]] = field(default_factory=list)
    marks: list[dict[str, Any]] = field(default_factory=list)

    def begin(self, at: float, attempt: int, value: float | None) -> None:
        """Attempt `attempt` starts at `at` (ms) with `value` % (None: its first report will say): a break and a
        mark unless it is the first."""
        if self.points:
            if self.points[-1][1] is not None:
                self.points.append([at, None])
            self.marks.append({'name': f'attempt {attempt}', 'xAxis': at})
        if value is not None:
            self.points.append([at, value])

    @property
    def last(self) -> float:
        return next((v for _, v in reversed(self.points) if v is not None), 0.0)


def progress_line(events: list[dict[str, Any]]) -> Line:
    """The line of a job's stored history. An attempt that resumed from a checkpoint starts at its first report
    (where the one before it stopped); one that started the work again starts at 0, as its percent does. An
    attempt's line ends where it failed, was cancelled or interrupted (those events say how far it got)."""
    line = Line()
    for event in events:
        at, kind, data = event['at'] * 1000, event['type'], event['data']
        if kind == 'started':
            line.begin(at, data.get('attempt') or 1, None if data.get('resuming') else 0.0)
        elif kind == 'completed':
            line.points.append([at, 100.0])
        elif kind == 'interrupted' and data.get('reason') == 'restart':
            continue  # written as the app started again, not when it stopped: the line ends at its last point
        elif 'progress' in data and line.points:
            line.points.append([at, round(data['progress'], 2)])
        elif kind in ENDS and line.points:
            line.points.append([at, line.last])
    return line


def shown(job: dict[str, Any]) -> bool:
    """Whether the job gets a chart: until it ends, or if it ran long enough to draw a line worth reading."""
    return job['status'] not in FINISHED_NAMES or job['elapsed_seconds'] >= SHORT_SECONDS


def summary(job: dict[str, Any]) -> str:
    """The line a job too short to chart gets instead."""
    return f"It ran for {fmt.duration(job['elapsed_seconds'])} in all: too short to chart."


def thinned(points: list[list[Any]], limit: int = CHART_POINTS) -> list[list[Any]]:
    """Every other point, keeping the first and the last and the breaks between attempts (with the points either
    side of them), until at most `limit` are left: an hour of ticks would otherwise be 3,600 points sent once a
    second."""
    while len(points) > limit:
        breaks = {i + d for i, (_, value) in enumerate(points) if value is None for d in (-1, 0, 1)}
        kept = [p for i, p in enumerate(points) if i % 2 == 0 or i in breaks or i == len(points) - 1]
        if len(kept) == len(points):
            break
        points = kept
    return list(points)


def chart_options(line: Line) -> dict[str, Any]:
    return {
        'animation': False, 'grid': {'left': 40, 'right': 16, 'top': 24, 'bottom': 30},
        'tooltip': {'trigger': 'axis'},
        # a job of a few seconds gets millisecond ticks: '12:40:24.020', not ECharts' '12:40:24 020'
        'xAxis': {'type': 'time', 'splitLine': {'show': False},
                  'axisLabel': {'hideOverlap': True, 'formatter': {'millisecond': '{HH}:{mm}:{ss}.{SSS}'}}},
        'yAxis': {'type': 'value', 'min': 0, 'max': 100,
                  'splitLine': {'lineStyle': {'color': 'rgba(128, 128, 128, 0.25)'}}},
        'series': [{'type': 'line', 'name': 'Progress %', 'showSymbol': False, 'data': thinned(line.points),
                    'connectNulls': False, 'areaStyle': {'opacity': 0.15},
                    'markLine': {'silent': True, 'symbol': ['none', 'none'], 'data': line.marks,
                                 'lineStyle': {'type': 'dashed', 'color': MARK_COLOR, 'width': 1},
                                 'label': {'formatter': '{b}', 'color': MARK_COLOR, 'position': 'insideEndTop'}}}],
    }


class ProgressChart:
    """The card: the chart or, for a job too short for one (`shown()`), a line saying so. The chart's line is
    read once from the history and then ticked on live."""

    def __init__(self, service: JobService, job_id: int, snapshot: Callable[[], dict[str, Any]]) -> None:
        self.snapshot = snapshot
        job = snapshot()
        line = progress_line(service.events(job_id))
        # Progress events are a second or more apart: end the line where the job is (or where it stopped)
        if job['status'] in ('running', 'paused') and line.points:
            line.points.append([time.time() * 1000, job['progress']])
        elif job['status'] in ('failed', 'cancelled') and line.points and line.points[-1][1] is not None:
            line.points[-1][1] = job['progress']
        self.attempts = job['attempts']
        with ui.card().classes('grow basis-[520px]') as self.card:
            ui.label('Progress over time').classes('text-lg font-medium')
            self.chart = ui.echart(chart_options(line)).classes('w-full h-64 progress-chart')
            self.summary = ui.label().classes('muted')
        self._show(job)

    @property
    def points(self) -> list[list[Any]]:
        """The chart's own list: NiceGUI copies a list given as an option, so appending to ours would change
        nothing on the page."""
        return self.chart.options['series'][0]['data']

    def tick(self) -> None:
        job = self.snapshot()
        self._show(job)
        status, now = job['status'], time.time() * 1000
        if job['attempts'] != self.attempts:  # a retry began while the page was open (it may have ended since)
            self.attempts = job['attempts']
            line = Line(self.points, self.chart.options['series'][0]['markLine']['data'])
            line.begin(now, job['attempts'], job['progress'])
        elif status not in ('running', 'completed') or (status == 'completed' and self.points
                                                         and self.points[-1][1] == 100):
            return
        else:
            self.points.append([now, job['progress']])
        if len(self.points) > CHART_POINTS:  # the page is sent the whole line on every tick
            self.chart.options['series'][0]['data'] = thinned(self.points)
        self.chart.update()

    def _show(self, job: dict[str, Any]) -> None:
        chart = shown(job)
        self.chart.set_visibility(chart)
        self.summary.set_visibility(not chart)
        if not chart:
            self.summary.text = summary(job)
