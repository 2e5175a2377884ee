"""REST routes for kinds and jobs."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request
from tzlocal import get_localzone

from progress_app import __version__
from progress_app.api.schemas import Health, JobCreate, JobList, JobOut, KindOut, ScheduleOut
from progress_app.domain import attempts, stall
from progress_app.domain.limits import KIND_MAX
from progress_app.domain.overlap import DEFAULT_OVERLAP
from progress_app.domain.status import Status
from progress_app.errors import InvalidParams, KindNotFound
from progress_app.runtime.service import JobService
from progress_app.runtime.settings.notify import destinations

router = APIRouter(prefix='/api')


def get_service(request: Request) -> JobService:
    return request.app.state.service


Service = Annotated[JobService, Depends(get_service)]
JobId = Annotated[int, Path(ge=1, le=2**53, description='The job id')]
NOT_FOUND = {404: {'description': 'No such job'}}
UNREADABLE = {400: {'description': 'The body is not readable JSON'}}


@router.get('/health', response_model=Health, tags=['meta'])
def health(service: Service) -> dict[str, Any]:
    return {'status': 'ok', 'version': __version__, 'executor': service.executor_info()}


@router.get('/kinds', response_model=list[KindOut], tags=['kinds'])
def kinds(service: Service) -> list[dict[str, Any]]:
    return service.kinds()


@router.post('/jobs', response_model=JobOut | ScheduleOut, status_code=201, tags=['jobs'],
             responses=UNREADABLE)
def submit(body: JobCreate, service: Service) -> dict[str, Any]:
    """Start a job now, at `run_at`, or `after` another job; with `cron`, create a schedule (returned instead)."""
    try:
        if body.cron is not None:
            if body.run_at is not None or body.after is not None:
                raise InvalidParams.field('cron', 'give cron alone, without run_at or after')
            return service.schedules.create({'kind': body.kind, 'params': body.params, 'name': body.name,
                                             'priority': body.priority, 'cron': body.cron,
                                             'notify': body.notify, 'overlap': body.overlap or DEFAULT_OVERLAP,
                                             **attempts.policy(body.model_dump()), **stall.option(body.model_dump()),
                                             'notify_to': body.notify_to})
        if body.overlap is not None:
            raise InvalidParams.field('overlap', 'overlap is for a schedule: give it with cron')
        options = {**attempts.policy(body.model_dump()), **stall.option(body.model_dump()),
                   **destinations(body.model_dump()), **({} if body.notify is None else {'notify': body.notify})}
        return service.submit(body.kind, body.params, name=body.name, priority=body.priority,
                              run_at=epoch(body.run_at), after=body.after, options=options)
    except KindNotFound as exc:
        raise InvalidParams.field('kind', str(exc), 'unknown_kind') from None


def epoch(moment: datetime | None) -> float | None:
    """Seconds since the epoch; a time without a zone is the app's local time."""
    if moment is None:
        return None
    return (moment if moment.tzinfo else moment.replace(tzinfo=get_localzone())).timestamp()


@router.get('/jobs', response_model=JobList, tags=['jobs'])
def list_jobs(service: Service, status: Annotated[list[Status] | None, Query()] = None,
              kind: Annotated[str | None, Query(max_length=KIND_MAX)] = None,
              limit: Annotated[int, Query(ge=1, le=1000)] = 50,
              offset: Annotated[int, Query(ge=0, le=2**53)] = 0) -> dict[str, Any]:
    return service.list(status=[s.value for s in status or []], kind=kind, limit=limit, offset=offset)


@router.get('/jobs/{job_id}', response_model=JobOut, tags=['jobs'], responses=NOT_FOUND)
def get_job(job_id: JobId, service: Service) -> dict[str, Any]:
    return service.get(job_id)
