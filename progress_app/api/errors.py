"""Our exceptions as HTTP answers: every error body under `/api/` is JSON `{"detail": …}` — an unknown path, a
method the path does not take (with every method it does take in `Allow`), and an unexpected error (logged with
its traceback) included. Pages keep NiceGUI's own error pages."""

from __future__ import annotations

from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException
from starlette.routing import Match

from progress_app.errors import IllegalTransition, InvalidParams, NotFound, UnreadableJob

METHODS = ('GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS')


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

    page_404 = app.exception_handlers[404]
    page_500 = app.exception_handlers[Exception]

    @app.exception_handler(404)
    async def unknown(request: Request, exc: Exception) -> Response:
        if is_api(request):
            detail = exc.detail if isinstance(exc, HTTPException) else 'Not Found'
            return JSONResponse({'detail': detail}, status_code=404)
        return await page_404(request, exc)

    @app.exception_handler(405)
    async def wrong_method(request: Request, exc: HTTPException) -> JSONResponse:
        methods = [method for method in METHODS  # included routers hide their routes: ask each method instead
                   if any(route.matches({**request.scope, 'method': method})[0] is Match.FULL
                          for route in app.router.routes)]
        return JSONResponse({'detail': f'{request.method} is not allowed here; use {", ".join(methods)}'},
                            status_code=405, headers={'Allow': ', '.join(methods)})

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> Response:
        if is_api(request):  # the server logs the traceback: Starlette raises the error again after this answer
            return JSONResponse({'detail': f'internal error ({type(exc).__name__}); the app log has the details'},
                                status_code=500)
        return await page_500(request, exc)


def is_api(request: Request) -> bool:
    return request.url.path.startswith('/api/') and not request.scope.get('nicegui_page_path')
