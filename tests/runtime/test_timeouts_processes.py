"""Time limits and retries of jobs whose functions run on a Dask worker (`--executor processes`): the limit's stop
travels to the worker as Cancel's does, and a failed try is retried from the app (issue 17, items 1 and 2)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from progress_app.config import Settings
from progress_app.runtime.engine.engine import Engine
from progress_app.runtime.service import JobService

pytest.importorskip('distributed')

TIMEOUT = 60.0  # two busy cores shared with other test runs: generous, never a timing assertion
END = ['completed', 'failed', 'cancelled']


@pytest.fixture(scope='module')
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[JobService]:
    data = tmp_path_factory.mktemp('executor') / 'data'
    service = JobService(Engine(Settings(data_dir=data, executor='processes', executor_workers=1)))
    service.startup()
    yield service
    service.shutdown(timeout=10)


def test_a_job_on_a_worker_times_out(service: JobService) -> None:
    job = service.submit('demo', {'items': 100_000, 'item_seconds': 0.05}, options={'timeout_seconds': 1})
    done = service.wait(job['id'], END, timeout=TIMEOUT)
    assert done['status'] == 'failed' and done['error'] == 'timed out after 1 s'


def test_a_job_on_a_worker_is_retried(service: JobService) -> None:
    job = service.submit('demo', {'items': 3, 'item_seconds': 0, 'fail_at_item': 2},
                         options={'retries': 1, 'retry_delay_seconds': 0})
    done = service.wait(job['id'], END, timeout=TIMEOUT)
    assert done['status'] == 'completed' and done['attempts'] == 2
