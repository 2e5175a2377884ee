from __future__ import annotations

from pathlib import Path

import pytest
from nicegui import app

from progress_app.runtime.service import JobService


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
