"""Wiring: settings → engine and service → API routes and pages → NiceGUI's server."""

from __future__ import annotations

import asyncio
import contextlib
import errno
import importlib.util
import logging
import multiprocessing
import os
import socket
import sys

from nicegui import app, background_tasks, ui
from nicegui.server import Server
from nicegui.storage import Storage

from progress_app.api import actions, jobs, runs, schedules, streams, uploads
from progress_app.api import errors as api_errors
from progress_app.api import settings as settings_api
from progress_app.config import Settings, settings_or_exit
from progress_app.errors import ProgressAppError
from progress_app.runtime import Engine
from progress_app.runtime.service import JobService
from progress_app.security.auth import Auth, AuthMiddleware, storage_secret
from progress_app.security.guard import Guard, served_names
from progress_app.ui.pages import dashboard, history, job, login, new_job
from progress_app.ui.pages import schedules as schedules_page
from progress_app.ui.pages import settings as settings_page

NATIVE_WINDOW = (1280, 860)
STOP_CHECK_SECONDS = 0.1  # as often as uvicorn itself looks whether it should stop


def build(settings: Settings) -> JobService:
    """Create the engine and service, register routes and pages, and start/stop the engine with the server."""
    service = JobService(Engine(settings))
    app.state.service = service
    auth = Auth(settings.password, service.tokens)
    app.state.auth = auth
    if auth.enabled:
        app.add_middleware(AuthMiddleware, auth=auth)
    app.add_middleware(Guard, names=served_names(settings))  # added last: runs first, before the password
    login.create(auth, service)
    app.include_router(jobs.router)
    app.include_router(actions.router)
    app.include_router(streams.router)
    app.include_router(schedules.router)
    app.include_router(runs.router)
    app.include_router(runs.reports)
    app.include_router(uploads.router)
    app.include_router(settings_api.router)
    api_errors.install(app)
    dashboard.create(service)
    job.create(service)
    new_job.create(service)
    history.create(service)
    schedules_page.create(service)
    settings_page.create(service)

    # Synchronous on purpose: NiceGUI runs async start-up handlers as background tasks, so requests could
    # otherwise reach the engine before recovery has finished.
    def start() -> None:
        service.startup()
        service.attach(asyncio.get_running_loop())
        background_tasks.create(end_streams_at_stop(service), name='end-streams-at-stop')

    def stop() -> None:
        running = service.stats()['running']
        service.detach()
        service.shutdown()
        print(stopped_line(running), file=sys.stderr)

    app.on_startup(start)
    app.on_shutdown(stop)
    return service


async def end_streams_at_stop(service: JobService) -> None:
    """At Ctrl-C uvicorn waits for every open response to end before the app's shutdown runs: end the live
    streams then, or one client following a stream would hold the app open (and a second Ctrl-C cut it short)."""
    server = getattr(Server, 'instance', None)  # none under NiceGUI's simulated user
    if server is None:
        return
    while not server.should_exit:
        await asyncio.sleep(STOP_CHECK_SECONDS)
    service.end_streams()


def stopped_line(running: int) -> str:
    """What a stop says: 'Progress App stopped; 2 running jobs will go on at the next start'."""
    if not running:
        return 'Progress App stopped.'
    jobs = '1 running job' if running == 1 else f'{running} running jobs'
    return f'Progress App stopped; {jobs} will go on at the next start'


def main(argv: list[str] | None = None) -> None:
    if os.environ.get('NICEGUI_USER_SIMULATION'):
        argv = []  # NiceGUI's test fixture runs this file under pytest's arguments: settings come from the env
    settings = settings_or_exit(argv)
    logging.basicConfig(level=logging.INFO, format='%(asctime)s %(levelname)s %(name)s: %(message)s')
    logging.getLogger('apscheduler').setLevel(logging.WARNING)  # it logs every job hand-off at INFO
    logging.getLogger('alembic').setLevel(logging.WARNING)  # and this how it talks to the database, each start
    if multiprocessing.current_process().name == 'MainProcess':
        service = build(settings)
        try:  # fail before the server starts, in one clear line, if the database cannot be used
            settings.data_dir.mkdir(parents=True, exist_ok=True)
            settings.data_dir.chmod(settings.data_dir.stat().st_mode & 0o700)  # it holds commands' environments
            service.check_database()
        except (ProgressAppError, OSError) as exc:
            print(f'app.py: error: {exc}', file=sys.stderr)
            raise SystemExit(2) from None
    Storage.path = (settings.data_dir / '.nicegui').resolve()  # browser sessions live in the data dir too
    if multiprocessing.current_process().name == 'MainProcess' and not os.environ.get('NICEGUI_USER_SIMULATION'):
        refuse_busy_port(settings.host, settings.port)
    if settings.native and (gui := native_gui()):
        app.native.start_args['gui'] = gui
    # Ctrl-C: the shutdown hook has run and said so in one line; a traceback would only alarm
    with contextlib.suppress(KeyboardInterrupt):
        ui.run(host=settings.host, port=settings.port, title='Progress App', native=settings.native,
               storage_secret=storage_secret(settings.data_dir) if settings.password else None,
               window_size=NATIVE_WINDOW if settings.native else None,
               show=not settings.no_browser and not settings.native, reload=False, fastapi_docs=True,
               show_welcome_message=True, favicon='⏳',
               proxy_headers=settings.forwarded_allow_ips is not None,
               forwarded_allow_ips=settings.forwarded_allow_ips or '')


def native_gui() -> str | None:
    """The pywebview GUI of --native: Qt when its web engine is installed (the `native` extra). Left to itself,
    pywebview tries GTK first on Linux and logs its failure, with a traceback, wherever GTK's Python bindings are
    missing, before it falls back to Qt. None: the user chose (PYWEBVIEW_GUI), or there is no Qt to choose."""
    if os.environ.get('PYWEBVIEW_GUI'):
        return None
    with contextlib.suppress(ImportError):
        if importlib.util.find_spec('PyQt6.QtWebEngineWidgets') is not None:
            return 'qt'
    return None


def refuse_busy_port(host: str, port: int) -> None:
    """One clear line and exit 2 when the port is taken, before the server says it is ready."""
    try:
        family = socket.getaddrinfo(host.strip('[]'), port, type=socket.SOCK_STREAM)[0][0]
        with socket.socket(family, socket.SOCK_STREAM) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn binds
            probe.bind((host.strip('[]'), port))
    except OSError as exc:
        busy = exc.errno == errno.EADDRINUSE
        reason = f'port {port} is in use' if busy else f'cannot listen on {host}:{port} ({exc.strerror or exc})'
        print(f'app.py: error: {reason}; pick another with --port', file=sys.stderr)
        raise SystemExit(2) from None
