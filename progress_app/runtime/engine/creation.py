"""A new job: stored with its first events (durably), kept in memory, then queued or armed, then announced."""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from progress_app.domain.duration import duration
from progress_app.domain.events import Event, EventType
from progress_app.domain.progress import Stage
from progress_app.domain.status import Status
from progress_app.runtime.engine.job import Job

if TYPE_CHECKING:
    from progress_app.runtime.engine.engine import Engine


def create_job(engine: Engine, kind: str, params: dict[str, Any], stages: tuple[Stage, ...], *, name: str,
               priority: int, options: Mapping[str, Any], run_at: float | None, after: int | None,
               schedule_id: str | None, late_seconds: float | None) -> Job:
    """Store a validated job and hand it on: `scheduled` (armed) with `run_at` or `after`, else `queued`."""
    opts = dict(options)
    if after is not None:
        opts['after'] = after
    status = Status.SCHEDULED if run_at is not None or after is not None else Status.QUEUED
    now = time.time()
    values = {'name': name, 'kind': kind, 'status': status.value, 'priority': priority, 'params': params,
              'options': opts, 'run_at': run_at, 'schedule_id': schedule_id,
              'stages': [[s.name, s.weight] for s in stages], 'stage_states': ['pending'] * len(stages),
              'created_at': now}
    lifecycle = engine.lifecycle
    first: list[Event] = []
    context = {k: v for k, v in (('schedule_id', schedule_id), ('late_seconds', late_seconds),
                                 ('run_at', run_at), ('after', after)) if v is not None}

    def first_events(new_id: int) -> list[Event]:
        first[:] = [lifecycle.new_event(new_id, 1, EventType.CREATED, kind=kind, params=params, **context)]
        if status is Status.QUEUED:
            first.append(lifecycle.new_event(new_id, 2, EventType.QUEUED))
        return first

    job_id = engine.repo.create_job(values, first_events)
    job = Job(id=job_id, name=name, kind=kind, status=status, priority=priority, params=params, stages=stages,
              created_at=now, options=opts, last_seq=len(first))
    job.run_at, job.schedule_id = run_at, schedule_id
    if late_seconds:
        job.progress.message = f'started {duration(late_seconds)} late: the app was not running on time'
    engine.remember(job)
    if status is Status.SCHEDULED:
        engine.deferred.arm(job)
    else:
        engine.dispatcher.enqueue(job_id, priority)
    for event in first:
        engine.bus.publish_state(job, event)
    return job
