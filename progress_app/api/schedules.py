"""REST routes for schedules: recurring (cron, interval) and one-time job definitions."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Response

from progress_app.api.jobs import UNREADABLE, Service
from progress_app.api.schemas import JobOut, ScheduleOut
from progress_app.errors import InvalidParams, KindNotFound
from progress_app.runtime import ScheduleSpec

router = APIRouter(prefix='/api', tags=['schedules'])
ScheduleId = Annotated[str, Path(min_length=1, max_length=64)]  # an unknown id, whatever its form, is a 404
MISSING = {404: {'description': 'No such schedule'}}


@router.post('/schedules', response_model=ScheduleOut, status_code=201, responses=UNREADABLE)
def create(body: ScheduleSpec, service: Service) -> dict[str, Any]:
    """`{kind, params, name?, priority?}` and exactly one of `cron`, `interval_seconds`, `run_at`."""
    try:
        return service.schedules.create(body)
    except KindNotFound as exc:
        raise InvalidParams.field('kind', str(exc), 'unknown_kind') from None


@router.get('/schedules', response_model=list[ScheduleOut])
def list_schedules(service: Service) -> list[dict[str, Any]]:
    return service.schedules.list()


@router.get('/schedules/{schedule_id}', response_model=ScheduleOut, responses=MISSING)
def get(schedule_id: ScheduleId, service: Service) -> dict[str, Any]:
    return service.schedules.get(schedule_id)


@router.post('/schedules/{schedule_id}/pause', response_model=ScheduleOut, responses=MISSING)
def pause(schedule_id: ScheduleId, service: Service) -> dict[str, Any]:
    return service.schedules.pause(schedule_id)


@router.post('/schedules/{schedule_id}/resume', response_model=ScheduleOut, responses=MISSING)
def resume(schedule_id: ScheduleId, service: Service) -> dict[str, Any]:
    return service.schedules.resume(schedule_id)


@router.post('/schedules/{schedule_id}/run', response_model=JobOut, status_code=201, responses=MISSING)
def run_now(schedule_id: ScheduleId, service: Service) -> dict[str, Any]:
    """Start the schedule's job now, as an extra run (its next runs stay as they were) → the new job."""
    return service.schedules.run_now(schedule_id)


@router.delete('/schedules/{schedule_id}', status_code=204, response_class=Response, responses=MISSING)
def delete(schedule_id: ScheduleId, service: Service) -> Response:
    service.schedules.remove(schedule_id)
    return Response(status_code=204)
