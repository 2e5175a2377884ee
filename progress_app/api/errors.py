"""Our exceptions as HTTP answers: every error body is JSON `{"detail": …}`."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from progress_app.errors import IllegalTransition, InvalidParams, NotFound, UnreadableJob


def install(app: FastAPI) -> None:
    @app.exception_handler(NotFound)
    async def not_found(_request: Request, exc: NotFound) -> JSONResponse:
        return JSONResponse({'detail': str(exc)}, status_code=404)

    @app.exception_handler(InvalidParams)
    async def invalid(_request: Request, exc: InvalidParams) -> JSONResponse:
        detail = [{**e, 'loc': ['body', *e['loc']]} for e in exc.errors]
        return JSONResponse({'detail': detail}, status_code=422)

    @app.exception_handler(IllegalTransition)
    @app.exception_handler(UnreadableJob)  # the job is there, in a state (damaged) that allows removing it only
    async def conflict(_request: Request, exc: IllegalTransition | UnreadableJob) -> JSONResponse:
        return JSONResponse({'detail': str(exc)}, status_code=409)
