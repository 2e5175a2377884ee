"""ECharts options for the history page, built from `JobService.history()` (pure functions, no NiceGUI).

Colours and text are chosen to read on both the light and the dark theme.
"""

from __future__ import annotations

import math
from datetime import datetime
from typing import Any

OUTCOME_COLORS = {'completed': '#43a047', 'failed': '#e53935', 'cancelled': '#9e9e9e'}
DURATION_COLORS = {'p50': '#90caf9', 'mean': '#42a5f5', 'p95': '#1565c0'}
# Axis steps people count in: seconds, then minutes, hours and days.
DURATION_STEPS = (0.1, 0.2, 0.5, 1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 3 * 3600, 6 * 3600,
                  12 * 3600, 86400, 2 * 86400, 7 * 86400)
DURATION_NAMES = {'p50': 'Median', 'mean': 'Average', 'p95': '95th percentile'}
TEXT = '#8a94a6'
GRID_LINE = 'rgba(128, 128, 128, 0.18)'

# A JavaScript twin of format.duration, for axis labels and tooltips drawn in the browser.
DURATION_JS = '''<script>
window.progressDuration = (s) => {
  if (s === null || s === undefined || !isFinite(s)) return '—';
  if (s === 0) return '0';
  if (s < 1) return Math.round(s * 1000) + ' ms';
  s = Math.round(s);
  const d = Math.floor(s / 86400), h = Math.floor(s % 86400 / 3600), m = Math.floor(s % 3600 / 60), x = s % 60;
  if (d) return d + ' d' + (h ? ' ' + h + ' h' : '');
  if (h) return h + ' h' + (m ? ' ' + m + ' min' : '');
  if (m) return m + ' min' + (x ? ' ' + x + ' s' : '');
  return x + ' s';
};
</script>'''


def bucket_label(start: float, bucket: str) -> str:
    """'14:00' for hours, 'Mon 3 Mar' for days, 'from 3 Mar' for weeks (local time)."""
    at = datetime.fromtimestamp(start)
    if bucket == 'hour':
        return f'{at:%H}:00'
    if bucket == 'day':
        return f'{at:%a} {at.day} {at:%b}'
    return f'from {at.day} {at:%b}'


def _base(empty: bool, empty_text: str) -> dict[str, Any]:
    return {
        'animation': False, 'backgroundColor': 'transparent', 'textStyle': {'color': TEXT},
        'title': {'show': empty, 'text': empty_text, 'left': 'center', 'top': 'middle',
                  'textStyle': {'color': TEXT, 'fontSize': 14, 'fontWeight': 'normal'}},
        'legend': {'show': not empty, 'top': 0, 'textStyle': {'color': TEXT}, 'itemWidth': 12, 'itemHeight': 12},
        'tooltip': {'trigger': 'axis', 'axisPointer': {'type': 'shadow'}},
    }


def _axis(kind: str, **extra: Any) -> dict[str, Any]:
    return {'type': kind, 'axisLine': {'lineStyle': {'color': GRID_LINE}}, 'axisTick': {'show': False},
            'splitLine': {'lineStyle': {'color': GRID_LINE}}, 'axisLabel': {'color': TEXT}, **extra}


def per_bucket(history: dict[str, Any], empty_text: str) -> dict[str, Any]:
    """Stacked bars: finished jobs per hour/day/week, by outcome."""
    empty = history['totals']['finished'] == 0
    labels = [bucket_label(start, history['bucket']) for start in history['starts']]
    return _base(empty, empty_text) | {
        'grid': {'left': 40, 'right': 16, 'top': 36, 'bottom': 28},
        'xAxis': _axis('category', data=labels, splitLine={'show': False}),
        'yAxis': _axis('value', minInterval=1),
        'series': [{'type': 'bar', 'name': status.capitalize(), 'stack': 'jobs', 'data': values,
                    'barMaxWidth': 28, 'itemStyle': {'color': OUTCOME_COLORS[status]}}
                   for status, values in history['counts'].items()],
    }


def _rate_color(rate: float) -> str:
    return OUTCOME_COLORS['completed'] if rate >= 0.9 else '#fb8c00' if rate >= 0.6 else OUTCOME_COLORS['failed']


def success_by_kind(history: dict[str, Any], empty_text: str) -> dict[str, Any]:
    """Horizontal bars: the success rate of each kind, labelled with the counts it comes from."""
    kinds = [k for k in history['kinds'] if k['success_rate'] is not None]
    data = [{'value': round(k['success_rate'] * 100, 1), 'itemStyle': {'color': _rate_color(k['success_rate'])},
             'label': {'formatter': f"{k['success_rate'] * 100:.0f} %  ({k['completed']} of "
                                    f"{k['completed'] + k['failed']})"}} for k in kinds]
    options = _base(not kinds, empty_text) | {
        'grid': {'left': 8, 'right': 110, 'top': 8, 'bottom': 24, 'containLabel': True},
        'xAxis': _axis('value', min=0, max=100, axisLabel={'color': TEXT, 'formatter': '{value} %'}),
        'yAxis': _axis('category', data=[k['kind'] for k in kinds], inverse=True, splitLine={'show': False}),
        'series': [{'type': 'bar', 'name': 'Success rate', 'data': data, 'barMaxWidth': 22,
                    'label': {'show': True, 'position': 'right', 'color': TEXT}}],
    }
    options['legend']['show'] = False
    options['tooltip'] = {'show': False}
    return options


def duration_by_kind(history: dict[str, Any], empty_text: str) -> dict[str, Any]:
    """Grouped horizontal bars: median, average and p95 of the active running time of each kind's completed jobs."""
    kinds = [k for k in history['kinds'] if k['completed']]
    longest = max((value for k in kinds for value in (k['p95'], k['mean']) if value), default=0.0)
    step = duration_step(longest)
    options = _base(not kinds, empty_text) | {
        'grid': {'left': 8, 'right': 40, 'top': 36, 'bottom': 24, 'containLabel': True},
        'xAxis': _axis('value', interval=step, max=max(1, math.ceil(longest / step)) * step,
                       axisLabel={'color': TEXT, ':formatter': 'v => window.progressDuration(v)'}),
        'yAxis': _axis('category', data=[k['kind'] for k in kinds], inverse=True, splitLine={'show': False}),
        'series': [{'type': 'bar', 'name': name, 'data': [_round(k[key]) for k in kinds], 'barMaxWidth': 14,
                    'itemStyle': {'color': DURATION_COLORS[key]}} for key, name in DURATION_NAMES.items()],
    }
    options['tooltip'][':valueFormatter'] = 'v => window.progressDuration(v)'
    return options


def duration_step(longest: float, ticks: int = 5) -> float:
    """An axis step that reads well as a duration ('1 min', '5 min', not '1 min 40 s'), about `ticks` of them."""
    return next((step for step in DURATION_STEPS if longest / step <= ticks), DURATION_STEPS[-1])


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 3)


def chart_height(kinds: int) -> str:
    """Room for every kind's bars, but never a tiny chart."""
    return f'height: {max(180, 60 + 44 * kinds)}px'
