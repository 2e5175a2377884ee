"""Settings' one answer to where a job's files are, and a database URL whose driver is missing."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from progress_app.config import JobPaths, Settings, parse_settings
from progress_app.errors import ConfigError


def test_a_jobs_log_and_output_folder_are_under_the_data_folder(tmp_path: Path):
    paths = Settings(data_dir=tmp_path).job_paths
    assert paths == JobPaths.under(tmp_path)
    assert paths.log_file(42) == tmp_path / 'logs' / '42.log'
    assert paths.output_dir(42) == tmp_path / 'outputs' / '42'


@pytest.mark.parametrize(('url', 'says'), [
    ('postgresql+pg8000://me:secret@127.0.0.1/progress', 'needs the Python package pg8000, which is not installed'),
    ('postgresql+psycopg://me:secret@127.0.0.1/progress', "pip install 'progress-app[postgres]'"),
])
def test_a_database_url_whose_driver_is_missing_is_said_in_one_line_without_its_password(url, says, monkeypatch):
    """Before: a traceback (ModuleNotFoundError) once the app had begun to start."""
    monkeypatch.setitem(sys.modules, 'psycopg', None)  # as where the postgres extra is not installed
    with pytest.raises(ConfigError) as refused:
        parse_settings(['--database-url', url], env={})
    assert str(refused.value).startswith('--database-url: ') and says in str(refused.value)
    assert 'secret' not in str(refused.value)


def test_the_minimum_is_a_setting_flag_and_variable():
    from progress_app.domain import stall

    assert parse_settings([], env={}).stall_min_seconds == stall.MIN_STALL_SECONDS
    assert parse_settings(['--stall-min-seconds', '5'], env={}).stall_min_seconds == 5
    assert parse_settings([], env={'PROGRESS_APP_STALL_MIN_SECONDS': '7'}).stall_min_seconds == 7
    with pytest.raises(ConfigError, match='--stall-min-seconds'):
        parse_settings(['--stall-min-seconds', '0'], env={})
