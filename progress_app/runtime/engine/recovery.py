"""Start-up recovery: our `job` table is the truth (APScheduler forgets one-shot jobs once they are handed off).

running  → event `interrupted` → queued, resuming from its checkpoint (or from the start for kinds that re-run,
           or failed if the job asked for `on_interrupt: fail`)
cancelling → cancelled (cancel was asked for before the app stopped: it never resumes)
paused   → stays paused;  queued, scheduled → stay as they are
external runs (running, paused) stay as they are: their scripts run on without the app, and report again
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from typing import Any

from progress_app.domain.events import Event, EventType
from progress_app.domain.progress import make_stages
from progress_app.domain.status import Status
from progress_app.kinds.registry import Registry
from progress_app.runtime.engine.job import Job
from progress_app.runtime.engine.lifecycle import Lifecycle
from progress_app.store.engine import UnreadableJSON
from progress_app.store.repository import Repository

log = logging.getLogger(__name__)


def job_from_row(row: dict[str, Any]) -> Job:
    """A live job from a stored row; raises ValueError (with the reason) for a row that does not make sense."""
    unreadable = next(((name, value) for name, value in row.items() if isinstance(value, UnreadableJSON)), None)
    if unreadable is not None:
        raise ValueError(f"job {row.get('id')}: the stored row is not valid ({unreadable[0]} is not JSON: "
                         f'{unreadable[1].error})')
    try:
        stages = make_stages({name: weight for name, weight, *_times in row['stages']} if row['stages'] else None)
        job = Job(id=row['id'], name=row['name'], kind=row['kind'], status=Status(row['status']),
                  priority=int(row['priority']), params=dict(row['params']), stages=stages,
                  created_at=float(row['created_at']), options=dict(row.get('options') or {}),
                  last_seq=int(row.get('last_seq') or 0))
        job.restore(row)
    except (KeyError, TypeError, ValueError) as exc:
        raise ValueError(f"job {row.get('id')}: the stored row is not valid ({type(exc).__name__}: {exc})") from exc
    return job


@dataclass
class Recovered:
    jobs: list[Job] = field(default_factory=list)
    interrupted: list[int] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def recover(repo: Repository, lifecycle: Lifecycle, kinds: Registry) -> Recovered:
    """Load every unfinished job; turn the ones a crash left `running` into queued (one transaction)."""
    out = Recovered()
    updates: dict[int, dict[str, Any]] = {}
    events: list[Event] = []
    for row in repo.active_jobs():
        try:
            job = job_from_row(row)
        except ValueError as exc:
            out.problems.append(str(exc))
            log.error('%s; it is left as it is', exc)
            continue
        out.jobs.append(job)
        if job.status is Status.CANCELLING:
            job.status, job.finished_at = Status.CANCELLED, time.time()
            events.append(lifecycle.event(job, EventType.CANCELLED, reason='restart'))
            updates[job.id] = {'status': job.status.value, 'finished_at': job.finished_at}
            continue
        if job.status is not Status.RUNNING or job.is_external:  # an external run's script runs on without the app
            continue
        rerun = job.kind in kinds and kinds.get(job.kind).restart == 'rerun'
        give_up = rerun and job.params.get('on_interrupt') == 'fail'
        events.append(lifecycle.event(job, EventType.INTERRUPTED, reason='restart', progress=job.percent,
                                      resume='no' if give_up else 'rerun' if rerun else 'checkpoint'))
        if rerun:
            job.forget_checkpoint()
        if give_up:
            job.status = Status.FAILED
            job.error = 'interrupted by a restart of the app (the job asked not to re-run: on_interrupt=fail)'
            job.finished_at = time.time()
            events.append(lifecycle.event(job, EventType.FAILED, error=job.error, stage=job.progress.stage))
        else:
            job.status = Status.QUEUED
            events.append(lifecycle.event(job, EventType.QUEUED, reason='resume after restart'))
        job.meter.pause(time.monotonic())
        updates[job.id] = {'status': job.status.value, 'error': job.error, 'finished_at': job.finished_at,
                           'checkpoint': job.checkpoint_values()}
        out.interrupted.append(job.id)
    if updates:
        repo.save_many(updates, events)
    return out
