"""Carry out a job action from the UI (pause, resume, cancel, retry, remove, download) with clear feedback."""

from __future__ import annotations

from nicegui import run, ui

from progress_app.errors import ProgressAppError
from progress_app.runtime.service import JobService

VERBS = {'pause': 'paused', 'resume': 'resumed', 'cancel': 'cancelled', 'retry': 'queued again',
         'remove': 'removed'}
BUTTONS = {  # action: (icon, tooltip, colour)
    'pause': ('pause', 'Pause', 'orange-8'), 'resume': ('play_arrow', 'Resume', 'primary'),
    'cancel': ('stop', 'Cancel', 'red-7'), 'retry': ('replay', 'Retry from the last checkpoint', 'primary'),
    'remove': ('delete', 'Remove job, log and outputs', 'grey-7'), 'download': ('download', 'Download result',
                                                                               'green-7'),
}


async def perform(service: JobService, job_id: int, action: str) -> bool:
    """Run `action` on a job; returns True if it was done. Errors become a toast, never an exception."""
    if action == 'download':
        ui.navigate.to(f'/api/jobs/{job_id}/result', new_tab=False)
        return True
    method = getattr(service, action)
    try:
        await run.io_bound(method, job_id)
    except ProgressAppError as exc:
        ui.notify(str(exc), type='warning')
        return False
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
