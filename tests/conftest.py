from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from progress_app.config import Settings
from progress_app.runtime.engine.engine import Engine
from progress_app.runtime.service import JobService
from tests.helpers import AppProcess
from tests.notify_endpoint import Endpoint


@pytest.fixture
def make_service(tmp_path: Path) -> Iterator:
    """Build and start engines on real SQLite files in tmp_path; all are stopped at the end of the test."""
    services: list[JobService] = []

    def make(data_dir: Path | None = None, **settings) -> JobService:
        service = JobService(Engine(Settings(data_dir=data_dir or tmp_path / 'data', **settings)))
        service.startup()
        services.append(service)
        return service

    yield make
    for service in services:
        service.shutdown(timeout=5)


@pytest.fixture
def service(make_service) -> JobService:
    return make_service()


@pytest.fixture
def app_process(tmp_path: Path) -> Iterator:
    """Start the real app in a subprocess: `app_process(*args)`; killed at the end of the test."""
    procs: list[AppProcess] = []

    def start(*args: str, data_dir: Path | None = None, env: dict[str, str] | None = None) -> AppProcess:
        proc = AppProcess(data_dir or tmp_path / 'data', *args, env=env).start()
        procs.append(proc)
        return proc

    yield start
    for proc in procs:
        proc.kill()
        proc.client.close()


@pytest.fixture
def endpoint() -> Iterator[Endpoint]:
    """A local HTTP server that keeps the notifications Apprise posts to `endpoint.url`."""
    endpoint = Endpoint()
    yield endpoint
    endpoint.server.shutdown()
    endpoint.server.server_close()


@pytest.fixture
def berlin(monkeypatch) -> Iterator[None]:
    """The process runs on Berlin time (CET/CEST: clocks go forward on 2026-03-29 and back on 2026-10-25)."""
    monkeypatch.setenv('TZ', 'Europe/Berlin')
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()
