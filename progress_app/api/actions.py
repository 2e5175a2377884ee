"""REST routes that act on one job: pause, resume, cancel, retry, remove; its history, log and result."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Response
from fastapi.responses import FileResponse, PlainTextResponse
from starlette.background import BackgroundTask

from progress_app.api.jobs import JobId, Service
from progress_app.api.schemas import EventOut, JobOut, QueueStats

router = APIRouter(prefix='/api', tags=['jobs'])
CONFLICT = {409: {'description': 'The job is not in a status that allows this (e.g. pausing a completed job)'}}
MISSING = {404: {'description': 'No such job'}}


@router.post('/jobs/{job_id}/pause', response_model=JobOut, responses={**CONFLICT, **MISSING})
def pause(job_id: JobId, service: Service) -> dict[str, Any]:
    """Pause a queued or running job (a running one stops within moments; its child processes are stopped)."""
    return service.pause(job_id)


@router.post('/jobs/{job_id}/resume', response_model=JobOut, responses={**CONFLICT, **MISSING})
def resume(job_id: JobId, service: Service) -> dict[str, Any]:
    return service.resume(job_id)


@router.post('/jobs/{job_id}/cancel', response_model=JobOut, responses={**CONFLICT, **MISSING})
def cancel(job_id: JobId, service: Service) -> dict[str, Any]:
    return service.cancel(job_id)


@router.post('/jobs/{job_id}/retry', response_model=JobOut, responses={**CONFLICT, **MISSING})
def retry(job_id: JobId, service: Service) -> dict[str, Any]:
    """Queue a failed or cancelled job again; it goes on from its last checkpoint."""
    return service.retry(job_id)


@router.delete('/jobs/{job_id}', status_code=204, response_class=Response, responses=MISSING)
def remove(job_id: JobId, service: Service) -> Response:
    """Remove the job, its history, log and outputs (cancelling it first if it runs)."""
    service.remove(job_id)
    return Response(status_code=204)


@router.get('/jobs/{job_id}/events', response_model=list[EventOut], responses=MISSING)
def events(job_id: JobId, service: Service,
           since: Annotated[int, Query(ge=0, le=2**53, description='Only events with a larger seq')] = 0
           ) -> list[dict[str, Any]]:
    """The job's persisted history, in order."""
    return service.events(job_id, since)


@router.get('/jobs/{job_id}/log', response_class=PlainTextResponse, responses={
    **MISSING, 200: {'description': 'Log text from `offset`; the header X-Next-Offset says where to go on',
                     'content': {'text/plain': {}}}})
def log(job_id: JobId, service: Service,
        offset: Annotated[int, Query(ge=0, le=2**53, description='Byte offset to read from')] = 0
        ) -> PlainTextResponse:
    text, next_offset = service.log(job_id, offset)
    return PlainTextResponse(text, headers={'X-Next-Offset': str(next_offset)})


@router.get('/jobs/{job_id}/result', response_class=FileResponse, responses={
    404: {'description': 'No such job, or it has no output (yet)'},
    200: {'description': 'The output file, or a zip of the output folder',
          'content': {'application/octet-stream': {}, 'application/zip': {}}}})
def result(job_id: JobId, service: Service) -> FileResponse:
    download = service.result_file(job_id)
    cleanup = BackgroundTask(download.path.unlink, missing_ok=True) if download.temporary else None
    return FileResponse(download.path, filename=download.filename, media_type=download.media_type,
                        background=cleanup)


@router.get('/queue/stats', response_model=QueueStats, tags=['queue'])
def queue_stats(service: Service) -> dict[str, int]:
    return service.stats()
