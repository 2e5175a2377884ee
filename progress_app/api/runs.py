"""REST routes of external runs (issue 14): a script outside the app opens a run, then reports into it; each answer
tells it to run on, pause or cancel. `progress_app.client` speaks this for Python scripts.

    POST /api/runs                      → 201 a new run's job, or 200 the run of the same resume_key, going on
    POST /api/jobs/{id}/report[?wait=S] → {"control": "run" | "pause" | "cancel", "status": …}

A report is one update or a list of up to 1000, applied in order, all or none; `{}` is a heartbeat. With `wait`
and an empty body the answer waits (up to S seconds) for the control to change: an idle script's heartbeat, which
hears Pause and Cancel at once. The wait polls the job's control on the event loop, holding no thread.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Query, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from nicegui.server import Server
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from progress_app.api.jobs import UNREADABLE, JobId, Service
from progress_app.api.schemas import JobOut
from progress_app.domain.report import BATCH_MAX, RunOpen, Update

POLL_SECONDS = 0.15
WAIT_MAX = 30.0
ONE, MANY = 'Update', 'list[Update]'  # how pydantic names the two readings of a report's body in its errors
CONFLICT = {409: {'description': 'Not an external run, or it has ended by its own report (`done`), or completed'}}
MISSING = {404: {'description': 'No such job (removed: the script should stop as if cancelled)'}}


class ReportRoute(APIRoute):
    """A report's body is one update or a list of them. Of pydantic's errors for both readings, keep those of the
    one the body is, without the reading's name: `["body", "current"]`, `["body", 3, "current"]`."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def route(request: Request) -> Response:
            try:
                return await handler(request)
            except RequestValidationError as exc:
                reading = MANY if isinstance(exc.body, list) else ONE
                errors = [{**e, 'loc': ('body', *e['loc'][2:])} if e['loc'][1:2] == (reading,) else e
                          for e in exc.errors() if e['loc'][1:2] not in ((ONE,), (MANY,)) or e['loc'][1] == reading]
                raise RequestValidationError(errors, body=exc.body) from None

        return route


router = APIRouter(prefix='/api', tags=['runs'])
reports = APIRouter(prefix='/api', tags=['runs'], route_class=ReportRoute)


class Answer(BaseModel):
    control: Literal['run', 'pause', 'cancel'] = Field(description="'pause': stop at the next update and report "
                                                       "`{\"paused\": true}`; 'cancel': stop and report `{\"done\": "
                                                       'true, "cancelled": true}`')
    status: str = Field(description="The job's status")


@router.post('/runs', response_model=JobOut, status_code=201, responses={**UNREADABLE,
    200: {'model': JobOut, 'description': 'The run of this resume_key, re-attached: attempts + 1, running again, '
                                          'its last checkpoint in external.resume_state'}})
def open_run(body: RunOpen, service: Service, response: Response) -> dict[str, Any]:
    """Open an external run: a job the app shows but does not run; its script reports into it with
    POST /api/jobs/{id}/report. With the `resume_key` of a run that has not completed, that run goes on."""
    job, created = service.runs.open_run(**body.model_dump(exclude_unset=True))
    if not created:
        response.status_code = 200
    return job


Report = Annotated[Update | Annotated[list[Update], Field(max_length=BATCH_MAX)], Body(openapi_examples={
    'progress': {'summary': 'progress and a message', 'value': {'current': 42, 'message': 'copying IMG_0042.jpg'}},
    'batch': {'summary': 'buffered updates, in order',
              'value': [{'stage': 'train', 'progress': 0.5}, {'log': ['epoch 5 done'], 'checkpoint': {'epoch': 5}}]},
    'heartbeat': {'summary': 'a heartbeat (with ?wait=10: a long-poll)', 'value': {}},
    'paused': {'summary': 'stopped for the pause asked', 'value': {'paused': True}},
    'done': {'summary': 'the end', 'value': {'done': True, 'exit_code': 0, 'result': {'files': 1200}}},
    'failed': {'summary': 'failed', 'value': {'done': True, 'exit_code': 3, 'error': 'disk full'}}})]


@reports.post('/jobs/{job_id}/report', response_model=Answer, responses={**MISSING, **CONFLICT, **UNREADABLE})
async def report(job_id: JobId, body: Report, service: Service,
                 wait: Annotated[float | None, Query(ge=0, le=WAIT_MAX, description=(
                     'With an empty body: hold the answer until the control changes or this many seconds pass'))]
                 = None) -> dict[str, Any]:
    """Report progress into an external run (every report, a heartbeat too, renews its lease); the answer says
    whether its script runs on, pauses or cancels."""
    answer = await run_in_threadpool(service.runs.report, job_id, body)
    empty = body == [] or (isinstance(body, Update) and not body.model_fields_set)
    if not wait or not empty:
        return answer
    loop = asyncio.get_running_loop()
    deadline = loop.time() + wait
    control = answer['control']
    while control == answer['control'] and (left := deadline - loop.time()) > 0 and not stopping():
        await asyncio.sleep(min(POLL_SECONDS, left))
        control = service.runs.control(job_id, renew=True)  # the live job's, in memory: no thread needed
    return {'control': control, 'status': service.runs.status(job_id)}


def stopping() -> bool:
    """The server has begun to stop (Ctrl-C): it waits for open answers, so a held one ends now."""
    server = getattr(Server, 'instance', None)  # none under NiceGUI's simulated user
    return server is not None and server.should_exit
