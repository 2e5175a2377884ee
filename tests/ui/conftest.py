from __future__ import annotations

from pathlib import Path

import pytest
from nicegui import app

from progress_app.runtime.service import JobService

# What the app's lifespan is before any test builds the app. FastAPI's include_router wraps the app's lifespan in the
# router's, and NiceGUI's per-test reset removes the routes but not those wrappers: each test's build() would nest
# six more, until a start-up ran out of stack (RecursionError after ~150 UI tests).
PRISTINE_LIFESPAN = app.router.lifespan_context


@pytest.fixture(autouse=True)
def fresh_lifespan() -> None:
    app.router.lifespan_context = PRISTINE_LIFESPAN


@pytest.fixture(autouse=True)
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Each UI test runs the real app.py on its own data dir (settings come from the environment)."""
    monkeypatch.setenv('PROGRESS_APP_DATA_DIR', str(tmp_path / 'data'))
    monkeypatch.setenv('PROGRESS_APP_WORKERS', '2')
    monkeypatch.setenv('PROGRESS_APP_ALLOWED_HOSTS', 'test')  # the simulated user's client calls the app 'test'
    return tmp_path / 'data'


@pytest.fixture
def service(user) -> JobService:
    return app.state.service
