"""`--executor` and `--executor-workers` (and their PROGRESS_APP_* variables): the three kinds of executor, and a
bad value said in one line with exit status 2, as for every other flag."""

from __future__ import annotations

import subprocess
import sys

import pytest

from progress_app.config import Settings, parse_settings
from progress_app.errors import ConfigError
from tests.helpers import ROOT, free_port


def test_threads_is_the_default() -> None:
    settings = parse_settings([], env={})
    assert settings.executor == 'threads' and settings.executor_workers is None


@pytest.mark.parametrize(('given', 'executor'), [
    ('threads', 'threads'), ('Processes', 'processes'), ('tcp://10.0.0.5:8786', 'tcp://10.0.0.5:8786'),
    ('TCP://scheduler.local:8786', 'tcp://scheduler.local:8786'), (' processes ', 'processes'),
])
def test_good_executors(given: str, executor: str) -> None:
    assert parse_settings(['--executor', given], env={}).executor == executor


def test_the_environment_names_the_executor_and_the_flag_wins() -> None:
    env = {'PROGRESS_APP_EXECUTOR': 'processes', 'PROGRESS_APP_EXECUTOR_WORKERS': '3'}
    assert parse_settings([], env=env).executor == 'processes'
    assert parse_settings([], env=env).executor_workers == 3
    assert parse_settings(['--executor', 'threads'], env=env).executor == 'threads'


@pytest.mark.parametrize(('argv', 'says'), [
    (['--executor', 'dask'], "--executor: must be 'threads', 'processes' or a Dask scheduler's address"),
    (['--executor', 'tcp://10.0.0.5'], '--executor: a Dask scheduler'),
    (['--executor', 'tcp://:8786'], '--executor: a Dask scheduler'),
    (['--executor', 'tcp://host:99999'], '--executor: a Dask scheduler'),
    (['--executor-workers', '0'], '--executor-workers: '),
    (['--executor-workers', 'many'], '--executor-workers: '),
])
def test_bad_values_are_said_in_one_line(argv: list[str], says: str) -> None:
    with pytest.raises(ConfigError) as refused:
        parse_settings(argv, env={})
    assert str(refused.value).startswith(says)
    assert '\n' not in str(refused.value)


def test_an_executor_that_needs_dask_says_so_where_it_is_missing(monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, 'distributed', None)
    with pytest.raises(ConfigError, match=r"needs Dask, which is not installed \(pip install 'progress-app\[dask\]'\)"):
        parse_settings(['--executor', 'processes'], env={})
    assert Settings(executor='threads').executor == 'threads'  # threads needs nothing


def test_the_app_exits_with_2_on_a_bad_executor(tmp_path) -> None:
    done = subprocess.run([sys.executable, str(ROOT / 'app.py'), '--data-dir', str(tmp_path), '--executor', 'gpu'],
                          capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        "app.py: error: --executor: must be 'threads', 'processes' or a Dask scheduler's address 'tcp://HOST:PORT' "
        "(got 'gpu')"]


def test_a_scheduler_that_cannot_be_reached_is_said_in_one_line(tmp_path, monkeypatch) -> None:
    """Before the server starts (app.py checks the database and the executor first, exit status 2)."""
    pytest.importorskip('distributed')
    from progress_app.runtime.engine.engine import Engine
    from progress_app.runtime.executor import cluster

    monkeypatch.setattr(cluster, 'CONNECT_SECONDS', 1)
    address = f'tcp://127.0.0.1:{free_port()}'
    engine = Engine(Settings(data_dir=tmp_path, executor=address))
    with pytest.raises(ConfigError) as refused:
        engine.check_database()
    assert str(refused.value).startswith(f'cannot reach the Dask scheduler at {address}: ')
    assert '\n' not in str(refused.value)
    assert not engine.instance.held  # the database is free again for the next try
    engine.stop()
