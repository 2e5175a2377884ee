from __future__ import annotations

import os
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from progress_app.config import Settings
from progress_app.runtime.engine.engine import Engine
from progress_app.runtime.service import JobService
from tests.helpers import AppProcess
from tests.notify_endpoint import Endpoint
from tests.postgres import REQUIRED, PostgresServer, missing_reason

DATABASES = ('sqlite', 'postgres')


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line('markers', 'databases: run on SQLite and on a real PostgreSQL (the `database` fixture)')


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """A test marked `databases` runs once per database; the fixtures that make services and apps follow it."""
    if metafunc.definition.get_closest_marker('databases') and 'database_kind' in metafunc.fixturenames:
        metafunc.parametrize('database_kind', DATABASES, indirect=True, scope='module')


@pytest.fixture(scope='session')
def postgres_server() -> Iterator[PostgresServer]:
    """One real PostgreSQL server for the session, started on first use; skips where it is not installed."""
    reason = missing_reason()
    if reason and os.environ.get(REQUIRED):
        pytest.fail(f'{reason}, but {REQUIRED} is set', pytrace=False)
    if reason:
        pytest.skip(reason)
    server = PostgresServer().start()
    yield server
    server.stop()


@pytest.fixture(scope='module')
def database_kind(request: pytest.FixtureRequest) -> str:
    return getattr(request, 'param', 'sqlite')


@dataclass(frozen=True)
class Database:
    """Where a test's services and apps keep their data: `url` None is SQLite in their data dir."""

    kind: str
    url: str | None = None

    @property
    def args(self) -> tuple[str, ...]:
        """The app's command-line flags for it."""
        return ('--database-url', self.url) if self.url else ()

    def url_in(self, data_dir: Path) -> str:
        return self.url or Settings(data_dir=data_dir).db_url


@pytest.fixture
def database(request: pytest.FixtureRequest, database_kind: str) -> Iterator[Database]:
    """SQLite, or a fresh database on the session's PostgreSQL server (dropped after the test)."""
    if database_kind == 'sqlite':
        yield Database('sqlite')
        return
    server: PostgresServer = request.getfixturevalue('postgres_server')
    url = server.create_database()
    yield Database('postgres', url)
    server.drop_database(url)


@pytest.fixture
def make_service(tmp_path: Path, database: Database) -> Iterator:
    """Build and start engines on the test's database (SQLite files in tmp_path by default); all are stopped at
    the end of the test."""
    services: list[JobService] = []

    def make(data_dir: Path | None = None, **settings) -> JobService:
        if database.url:
            settings.setdefault('database_url', database.url)
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
def app_process(tmp_path: Path, database: Database) -> Iterator:
    """Start the real app in a subprocess on the test's database: `app_process(*args)`; killed at the end."""
    procs: list[AppProcess] = []

    def start(*args: str, data_dir: Path | None = None, env: dict[str, str] | None = None) -> AppProcess:
        proc = AppProcess(data_dir or tmp_path / 'data', *database.args, *args, env=env).start()
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
