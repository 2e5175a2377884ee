"""REST routes that act on one job: pause, resume, cancel, retry, remove; its history, log and result."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Query, Response
from fastapi.responses import FileResponse, PlainTextResponse, StreamingResponse
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


@router.post('/jobs/{job_id}/start', response_model=JobOut, responses={**CONFLICT, **MISSING})
def start(job_id: JobId, service: Service) -> dict[str, Any]:
    """Start a scheduled job now (it joins the queue), not at its time or after the job it waits for."""
    return service.start(job_id)


@router.post('/jobs/{job_id}/run-again', response_model=JobOut, status_code=201, responses={**CONFLICT, **MISSING})
def run_again(job_id: JobId, service: Service) -> dict[str, Any]:
    """A new job with the same kind, parameters, name and priority (this one stays as it is)."""
    return service.run_again(job_id)


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
    **MISSING, 200: {'description': 'Up to 1 MiB of log text; the header X-Next-Offset says where to go on. With '
                                    '`download=true`: the whole log, as a file', 'content': {'text/plain': {}}}})
def log(job_id: JobId, service: Service,
        offset: Annotated[int, Query(ge=0, le=2**53, description='Byte offset to read from')] = 0,
        tail: Annotated[int | None, Query(ge=1, le=2**20, description='Instead of `offset`: start this many bytes '
                                          'before the end, at the start of a line')] = None,
        download: Annotated[bool, Query(description='The whole log as a file to save')] = False,
        ) -> Response:
    if download:
        return log_download(service.log_path(job_id), f'job-{job_id}.log')
    text, next_offset = service.log(job_id, offset, tail)
    return PlainTextResponse(text, headers={'X-Next-Offset': str(next_offset)})


def log_download(path: Path, filename: str) -> Response:
    """The log as it is now, as a file. Not a FileResponse: the log of a running job grows while it is sent,
    and sending more than the Content-Length taken at the start breaks the response."""
    headers = {'Content-Disposition': f'attachment; filename="{filename}"'}
    try:
        log = path.open('rb')
    except FileNotFoundError:  # a job that wrote nothing has no file: its log is empty
        return PlainTextResponse('', headers=headers)
    size = log.seek(0, 2)
    log.seek(0)

    def chunks() -> Iterator[bytes]:
        with log:
            left = size
            while left > 0:
                chunk = log.read(min(left, 1 << 16))
                if not chunk:
                    return
                left -= len(chunk)
                yield chunk

    return StreamingResponse(chunks(), media_type='text/plain; charset=utf-8',
                             headers=headers | {'Content-Length': str(size)})


@router.get('/jobs/{job_id}/result', response_class=FileResponse, responses={
    404: {'description': 'No such job, or it completed without output files'},
    409: {'description': 'The job has not completed: no result yet'},
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
