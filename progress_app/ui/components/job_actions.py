"""Carry out a job action from the UI (pause, resume, cancel, retry, remove, download) with clear feedback."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from nicegui import run, ui

from progress_app.errors import ProgressAppError
from progress_app.runtime.service import JobService

VERBS = {'start': 'started', 'pause': 'paused', 'resume': 'resumed', 'cancel': 'cancelled', 'retry': 'queued again',
         'remove': 'removed'}
BUTTONS = {  # action: (icon, tooltip, colour), in the order they are shown: removing, the one not undone, last
    'start': ('play_circle', 'Start now, not at its time', 'primary'),
    'pause': ('pause', 'Pause', 'orange-8'), 'resume': ('play_arrow', 'Resume', 'primary'),
    'cancel': ('stop', 'Cancel', 'red-7'), 'retry': ('replay', 'Retry from the last checkpoint', 'primary'),
    'download': ('download', 'Download result', 'green-7'),
    'remove': ('delete', 'Remove job, log and outputs', 'grey-7'),
}


async def perform(service: JobService, job_id: int, action: str) -> bool:
    """Run `action` on a job; returns True if it was done. Errors become a toast, never an exception."""
    if action == 'download':
        ui.navigate.to(f'/api/jobs/{job_id}/result', new_tab=False)
        return True
    method = getattr(service, action)
    try:
        done = await run.io_bound(method, job_id)
    except ProgressAppError as exc:
        ui.notify(str(exc), type='warning')
        return False
    if isinstance(done, dict) and done.get('status') == 'cancelling':
        ui.notify(f'Job #{job_id} is cancelling: it stops at its next check point', type='info')
    else:
        ui.notify(f'Job #{job_id} {VERBS[action]}', type='info', timeout=2000)
    return True


async def perform_many(service: JobService, job_ids: list[int], action: str) -> int:
    done = 0
    for job_id in job_ids:
        try:
            await run.io_bound(getattr(service, action), job_id)
            done += 1
        except ProgressAppError:
            continue
    skipped = len(job_ids) - done
    ui.notify(f'{done} job(s) {VERBS[action]}' + (f', {skipped} skipped (not allowed in their status)'
                                                   if skipped else ''), type='info')
    return done


def open_started(job: dict[str, Any], verb: str = 'Started') -> None:
    """Say that a job was made (by the form, Run again, a schedule's Run now) and open its page."""
    ui.notify(f"{verb} {job['name']} (#{job['id']})", type='positive')
    ui.navigate.to(f"/jobs/{job['id']}")


async def start(make: Callable[[], dict[str, Any]]) -> None:
    """Make a job in a worker thread and open it; a refusal (a kind switched off, parameters that no longer
    validate) becomes a toast."""
    try:
        job = await run.io_bound(make)
    except ProgressAppError as exc:
        ui.notify(str(exc), type='warning', multi_line=True)
        return
    if job is not None:  # None: the page is going away
        open_started(job)
