"""Cancelling a job that never reaches a check point (t_stuck: a sleep, no ctx.check()): it is `cancelling` at once,
its worker slot goes to the queue, and neither a stop nor a restart waits for it or resumes it."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest

from progress_app.errors import IllegalTransition
from progress_app.store.engine import create_db_engine
from progress_app.store.repository import Repository
from tests import fixture_kinds  # noqa: F401  (registers the t_* kinds)
from tests.helpers import wait_until


@pytest.fixture
def release(tmp_path: Path) -> Iterator[Path]:
    """The file that lets t_stuck jobs return; made at the end of the test, before the engines stop."""
    path = tmp_path / 'release'
    yield path
    path.touch()


def event_types(service, job_id: int) -> list[str]:
    """The status changes in a job's history (stage and progress events come and go with timing)."""
    return [event['type'] for event in service.events(job_id) if event['type'] not in ('stage', 'progress')]


def test_cancel_makes_a_stuck_job_cancelling_and_the_queue_goes_on(make_service, release):
    service = make_service(workers=1)
    stuck = service.submit('t_stuck', {'release': str(release)})
    service.wait(stuck['id'], ['running'])
    after = service.submit('t_write_files', {'count': 1})
    cancelled = service.cancel(stuck['id'], wait=0)
    assert cancelled['status'] == 'cancelling'
    assert datetime.fromisoformat(cancelled['cancel_requested_at']).timestamp() > 0
    assert cancelled['cancel_waiting_seconds'] >= 0
    assert service._engine.repo.get_job(stuck['id'])['status'] == 'cancelling'  # durable, like every move
    assert event_types(service, stuck['id'])[-1] == 'cancelling'
    service.wait(after['id'], ['completed'])  # the one worker slot went on to the next job
    assert service.get(stuck['id'])['status'] == 'cancelling'  # still in its sleep
    assert service.stats()['cancelling'] == 1
    again = service.cancel(stuck['id'], wait=0)  # asking again changes nothing
    assert again['status'] == 'cancelling' and again['cancel_requested_at'] == cancelled['cancel_requested_at']
    with pytest.raises(IllegalTransition, match='cannot pause a job that is cancelling: it is being cancelled'):
        service.pause(stuck['id'])
    with pytest.raises(IllegalTransition, match='cannot retry a job that is cancelling: it has not ended'):
        service.retry(stuck['id'])
    release.touch()  # it returns at last, having never seen the cancel: it did finish its work
    done = service.wait(stuck['id'], ['completed'])
    assert done['result'] == 'woke up' and done['cancel_waiting_seconds'] is None
    wait_until(lambda: service._engine.dispatcher.stats()['running'] == 0)
    third = service.submit('t_write_files', {'count': 1})  # the slot count is right: one loop, not two or none
    service.wait(third['id'], ['completed'])


def test_a_job_that_reaches_its_check_point_ends_cancelled(service):
    job = service.submit('t_tick', {'ticks': 10_000, 'seconds': 0.01})
    service.wait(job['id'], ['running'])
    assert service.cancel(job['id'])['status'] == 'cancelled'
    types = event_types(service, job['id'])
    assert types[-2:] == ['cancelling', 'cancelled']


def test_stop_does_not_wait_for_ever_and_records_stuck_jobs(make_service, tmp_path, release):
    data = tmp_path / 'stuck'
    service = make_service(data_dir=data, workers=2)
    running = service.submit('t_stuck', {'release': str(release)})
    cancelling = service.submit('t_stuck', {'release': str(release)})
    for job in (running, cancelling):
        service.wait(job['id'], ['running'])
    service.cancel(cancelling['id'], wait=0)
    service.shutdown(timeout=0.5)
    repo = Repository(create_db_engine(service.config.db_url))
    assert repo.get_job(running['id'])['status'] == 'queued'  # interrupted: it resumes at the next start
    assert [e['type'] for e in repo.events(running['id'], 0)][-1] == 'interrupted'
    assert repo.get_job(cancelling['id'])['status'] == 'cancelled'  # it never resumes
    repo.engine.dispose()
    release.touch()  # the abandoned threads return now: what they return is only logged
    wait_until(lambda: not any(job.in_worker for job in service._engine.jobs.values()))
    restarted = make_service(data_dir=data, workers=2)
    assert restarted.get(cancelling['id'])['status'] == 'cancelled'
    assert restarted.wait(running['id'], ['completed'])['attempts'] == 2


def test_a_job_left_cancelling_by_a_crash_is_cancelled_at_the_next_start(make_service, tmp_path):
    data = tmp_path / 'crashed'
    service = make_service(data_dir=data)
    job = service.submit('t_write_files', {'count': 1})
    service.wait(job['id'], ['completed'])
    service.shutdown()
    repo = Repository(create_db_engine(service.config.db_url))
    repo.save(job['id'], {'status': 'cancelling', 'finished_at': None})  # as a crash while cancelling leaves it
    repo.engine.dispose()
    restarted = make_service(data_dir=data)
    assert restarted.get(job['id'])['status'] == 'cancelled'
    assert event_types(restarted, job['id'])[-1] == 'cancelled'
    assert restarted._engine.repo.get_job(job['id'])['finished_at'] is not None
