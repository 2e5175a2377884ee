"""Job snapshots as table rows: human-readable text and the actions a status allows (pure, unit-tested)."""

from __future__ import annotations

from typing import Any

from progress_app.domain.status import ACTIONS, Status
from progress_app.ui import format as fmt


def actions(job: dict[str, Any], pausable: bool = True) -> list[str]:
    """The actions of the job's status (domain/status.py), less pause for a running job that cannot pause and
    download for one without output."""
    allowed = list(ACTIONS[Status(job['status'])])
    if 'pause' in allowed and job['status'] == 'running' and not pausable:
        allowed.remove('pause')
    if 'download' in allowed and not job.get('has_output'):
        allowed.remove('download')
    return allowed


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
        parts = [fmt.speed(job['speed'], job['unit']), fmt.eta(job['eta_seconds'])]
        return ' · '.join(p for p in parts if p != '—') or ('starting…' if job['elapsed_seconds'] < 2 else '')
    if status == 'queued':
        return f"#{job['queue_position']} in queue" if job.get('queue_position') else 'waiting'
    if status == 'paused':
        return 'paused'
    if status == 'cancelling':
        return f"waiting {fmt.duration(job['cancel_waiting_seconds'])} for the job's next check point"
    if status == 'scheduled':
        return f"at {job['run_at'][:16].replace('T', ' ')}" if job.get('run_at') else 'scheduled'
    return ''


def row(job: dict[str, Any], icons: dict[str, str], colors: dict[str, str], pausable: bool = True) -> dict[str, Any]:
    detail = (job['error'] or job['message']) if job['status'] == 'failed' else job['message']
    counts = fmt.count(job['current'], job['total'], job['unit']) if (job['current'] or job['total']) and (
        job['unit'] != '%') else ''
    return {
        'id': job['id'], 'name': job['name'], 'kind': job['kind'], 'icon': icons.get(job['kind'], 'work'),
        'status': job['status'], 'color': colors.get(job['status'], 'grey'), 'progress': job['progress'],
        'percent': f"{job['progress']:.0f} %" if job['progress'] < 99.95 or job['status'] == 'completed'
        else '99 %', 'stage_text': stage_text(job), 'message': detail[:160], 'counts': counts,
        'timing': timing_text(job), 'elapsed': fmt.duration(job['elapsed_seconds']) if job['started_at'] else '—',
        'actions': actions(job, pausable),
    }
