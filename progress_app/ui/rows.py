"""Job snapshots as table rows: human-readable text and the actions a status allows (pure, unit-tested)."""

from __future__ import annotations

import time
from datetime import datetime
from typing import Any

from progress_app.domain.status import ACTIONS, Status
from progress_app.ui import external
from progress_app.ui import format as fmt

RESTARTS = ('retry', 'run_again')  # an external run is started by its script, never by the app


def actions(job: dict[str, Any], pausable: bool = True) -> list[str]:
    """The actions of the job's status (domain/status.py), less retry for an external run, pause for a running
    job that cannot pause, and download for one without output. A job asked to pause that has not stopped yet
    offers resume instead, which takes the request back."""
    allowed = [a for a in ACTIONS[Status(job['status'])] if a not in RESTARTS or can_restart(job)]
    if 'pause' in allowed and job['status'] == 'running':
        if job.get('pause_requested'):
            allowed[allowed.index('pause')] = 'resume'
        elif not pausable:
            allowed.remove('pause')
    if 'download' in allowed and not job.get('has_output'):
        allowed.remove('download')
    return allowed


def can_restart(job: dict[str, Any]) -> bool:
    """Whether the app can start the job again (Retry, Run again): not an external run, which only its script
    starts (the server answers 409)."""
    return not external.is_external(job)


def status_text(job: dict[str, Any]) -> str:
    """The status chip's word: 'pausing…' while a pause is asked and the job has not stopped yet."""
    return 'pausing…' if job.get('pause_requested') and job['status'] == 'running' else job['status']


def stalled_text(job: dict[str, Any]) -> str:
    """'stalled since 14:05' (local time) while the job's progress stands still far longer than usual; else ''."""
    if not job.get('stalled'):
        return ''
    since = job.get('stalled_since')
    return 'stalled' if not since else f"stalled since {datetime.fromisoformat(since).astimezone():%H:%M}"


def stage_text(job: dict[str, Any]) -> str:
    """'2/4 · analyse' for multi-stage jobs, the stage name alone for single-stage ones."""
    stages = job['stages']
    if job['stage'] is None:
        return f"{len(stages)} stages" if len(stages) > 1 else ''
    if len(stages) == 1:
        return job['stage'] if job['stage'] != 'run' else ''
    return f"{job['stage_index'] + 1}/{len(stages)} · {job['stage']}"


def timing_text(job: dict[str, Any]) -> str:
    status = job['status']
    if status == 'running':
        parts = [fmt.job_speed(job), fmt.eta(job['eta_seconds']), usual_text(job) or '—']
        return ' · '.join(p for p in parts if p != '—') or ('starting…' if job['elapsed_seconds'] < 2 else '')
    if status == 'queued':
        return f"#{job['queue_position']} in queue" if job.get('queue_position') else 'waiting'
    if status == 'paused':
        return 'paused'
    if status == 'cancelling':
        return f"waiting {fmt.duration(job['cancel_waiting_seconds'])} for the job's next check point"
    if status == 'scheduled' and job.get('retry'):
        return retry_text(job['retry'])
    if status == 'scheduled':
        return f"at {job['run_at'][:16].replace('T', ' ')}" if job.get('run_at') else 'scheduled'
    return ''


def usual_text(job: dict[str, Any]) -> str:
    """For a running job that reports no progress or has run too long: 'usually 42 min', 'longer than usual (usually
    42 min)'; else ''."""
    expected, by_time = job.get('expected_seconds'), job.get('estimated_progress') is not None
    if expected is None or job['status'] != 'running':
        return ''
    if job.get('overdue') or (by_time and job['elapsed_seconds'] >= expected):
        return f'longer than usual (usually {fmt.duration(expected)})'
    return f'usually {fmt.duration(expected)}' if by_time else ''


def overdue_text(job: dict[str, Any]) -> str:
    """The notice of a run past twice its usual time: 'Taking longer than usual: 5 min so far, usually 2 min.'"""
    if not job.get('overdue') or job['status'] not in ('running', 'paused') or job.get('expected_seconds') is None:
        return ''
    return (f"Taking longer than usual: {fmt.duration(job['elapsed_seconds'])} so far, usually "
            f"{fmt.duration(job['expected_seconds'])}.")


def percent_text(job: dict[str, Any], digits: int = 0) -> str:
    """'42 %' (99 % until the job has completed), or for a job estimated by time '≈ 40 %'."""
    guess = job.get('estimated_progress')
    if guess is not None:
        return f'≈ {guess:.{digits}f} %'
    progress = job['progress']
    if progress >= 99.95 and job['status'] != 'completed':
        progress = 99.0
    return f'{progress:.{digits}f} %'


def retry_text(retry: dict[str, Any], now: float | None = None) -> str:
    """'retry 2 of 3 at 14:05' (local time; with the date when it is not today)."""
    words = f"retry {retry['number']} of {retry['of']}"
    if not retry.get('at'):
        return words
    at = datetime.fromisoformat(retry['at']).astimezone()
    today = datetime.fromtimestamp(time.time() if now is None else now).astimezone().date()
    return f"{words} at {at.strftime('%H:%M' if at.date() == today else '%Y-%m-%d %H:%M')}"


def row(job: dict[str, Any], icons: dict[str, str], colors: dict[str, str], pausable: bool = True,
        now: float | None = None) -> dict[str, Any]:
    failed = job['status'] == 'failed' or job.get('retry')  # a try failed: its error says why
    detail = (job['error'] or job['message']) if failed else job['message']
    counts = fmt.job_count(job) if job['unit'] != '%' else ''  # the percent is beside it already
    return {
        'id': job['id'], 'name': job['name'], 'kind': job['kind'],
        'icon': external.ICON if external.is_external(job) else icons.get(job['kind'], 'work'),
        'status': job['status'], 'status_text': status_text(job), 'color': colors.get(job['status'], 'grey'),
        'progress': job['progress'] if job.get('estimated_progress') is None else job['estimated_progress'],
        'estimated': job.get('estimated_progress') is not None,  # by time: the bar is striped
        'percent': percent_text(job), 'stage_text': stage_text(job), 'message': detail[:160], 'counts': counts,
        'timing': timing_text(job), 'elapsed': fmt.duration(job['elapsed_seconds']) if job['started_at'] else '—',
        'actions': actions(job, pausable), 'stalled': stalled_text(job), **where(job, now),
    }


def where(job: dict[str, Any], now: float | None = None) -> dict[str, str]:
    """An external run's host for its name cell ('on build-box'), the rest for a tooltip, and whether its script is
    late with its reports."""
    if not job.get('external'):
        return {'runs_on': '', 'where': '', 'late': ''}
    host = job['external'].get('host')
    return {'runs_on': f'on {host}' if host else 'elsewhere', 'where': external.summary(job, now),
            'late': external.lateness(job, now)}
