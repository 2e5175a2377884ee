"""External runs in a real engine on a real SQLite file, with the leases on a fake clock: a silent script's run
ends, and its next report takes it up again; a restart leaves runs as they are."""

from __future__ import annotations

import pytest

from progress_app.config import Settings
from progress_app.domain.lease import Leases
from progress_app.errors import IllegalTransition
from progress_app.runtime.engine.engine import Engine
from progress_app.runtime.service import JobService
from tests.helpers import wait_until

SCRIPT = {'host': 'build-box', 'pid': 4242, 'lease_seconds': 10}


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def start(tmp_path, clock):
    """Start a service on the test's data dir whose leases count on `clock`; all are stopped at the end."""
    services: list[tuple[JobService, Engine]] = []

    def make() -> tuple[JobService, Engine]:
        engine = Engine(Settings(data_dir=tmp_path / 'data'))
        engine.external.leases = Leases(clock)
        service = JobService(engine)
        service.startup()
        services.append((service, engine))
        return service, engine

    yield make
    for service, _engine in services:
        service.shutdown(timeout=5)


def types(service: JobService, job_id: int) -> list[str]:
    return [e['type'] for e in service.events(job_id)]


def test_a_silent_run_fails_and_its_next_report_takes_it_up_again(start, clock):
    service, engine = start()
    job, created = service.runs.open_run(name='sync', **SCRIPT)
    assert created
    service.runs.report(job['id'], [{'current': 3, 'checkpoint': {'at': 3}}])
    clock.now += 9.9
    assert engine.external.check_leases() == []
    clock.now += 0.2
    assert engine.external.check_leases() == [job['id']]
    failed = service.get(job['id'])
    assert failed['status'] == 'failed' and failed['error'] == 'no report from host build-box pid 4242 for 10 s'
    assert service.events(job['id'])[-1]['data']['reason'] == 'lease'
    assert engine.external.check_leases() == []  # once
    answer = service.runs.report(job['id'], {'current': 4})
    assert answer == {'control': 'run', 'status': 'running'}
    again = service.get(job['id'])
    assert again['status'] == 'running' and again['error'] is None and again['current'] == 4
    assert again['attempts'] == 1 and again['external']['resume_state'] == {'at': 3}
    assert types(service, job['id'])[-2:] == ['failed', 'reattached']
    reattached = service.events(job['id'])[-1]['data']
    assert reattached['host'] == 'build-box' and reattached['pid'] == 4242 and reattached['after_seconds'] >= 0
    service.runs.report(job['id'], {'done': True})
    assert service.get(job['id'])['status'] == 'completed'


def test_a_silent_run_being_cancelled_is_cancelled_and_a_paused_one_fails(start, clock):
    service, engine = start()
    cancelling, _ = service.runs.open_run(**SCRIPT)
    service.cancel(cancelling['id'], wait=0)
    paused, _ = service.runs.open_run(**SCRIPT)
    service.pause(paused['id'], wait=0)
    assert service.runs.report(paused['id'], {'paused': True})['status'] == 'paused'
    clock.now += 11
    assert sorted(engine.external.check_leases()) == [cancelling['id'], paused['id']]
    assert service.get(cancelling['id'])['status'] == 'cancelled'
    assert service.runs.report(cancelling['id'], {}) == {'control': 'cancel', 'status': 'cancelled'}
    assert service.get(paused['id'])['status'] == 'failed'


def test_a_long_poll_keeps_the_lease(start, clock):
    service, engine = start()
    job, _ = service.runs.open_run(**SCRIPT)
    clock.now += 8
    assert service.runs.control(job['id'], renew=True) == 'run'
    clock.now += 8
    assert engine.external.check_leases() == []


def test_a_run_shows_speed_and_eta_as_any_job(start):
    service, _engine = start()
    job, _ = service.runs.open_run(total=1_000_000, **SCRIPT)
    position = [0]

    def measured() -> bool:
        position[0] += 1000
        service.runs.report(job['id'], {'current': position[0]})
        snapshot = service.get(job['id'])
        return snapshot['speed'] is not None and snapshot['eta_seconds'] is not None

    wait_until(measured, timeout=20)


def test_a_restart_leaves_runs_as_they_are_and_they_go_on(start, clock):
    service, _engine = start()
    running, _ = service.runs.open_run(name='running one', total=10, **SCRIPT)
    service.runs.report(running['id'], [{'current': 4, 'checkpoint': {'next': 4}}])
    paused, _ = service.runs.open_run(name='paused one', **SCRIPT)
    service.pause(paused['id'], wait=0)
    service.runs.report(paused['id'], {'paused': True})
    service.shutdown(timeout=5)
    clock.now += 1000  # the app was away longer than any lease: they count from its start again
    service, engine = start()
    assert engine.external.check_leases() == []
    after = service.get(running['id'])
    assert (after['status'], after['current'], after['external']['resume_state']) == ('running', 4, {'next': 4})
    assert 'interrupted' not in types(service, running['id'])
    assert service.get(paused['id'])['status'] == 'paused'
    assert service.runs.report(paused['id'], {}) == {'control': 'pause', 'status': 'paused'}
    service.resume(paused['id'])
    assert service.runs.report(paused['id'], {})['control'] == 'run'
    service.runs.report(running['id'], [{'current': 10}, {'done': True, 'result': 'ok'}])
    assert service.get(running['id'])['status'] == 'completed'
    with pytest.raises(IllegalTransition):
        service.retry(running['id'])


def test_what_each_word_of_an_update_does(start):
    service, _engine = start()
    job, _ = service.runs.open_run(total=10, **SCRIPT)
    service.runs.report(job['id'], {'stage': 'scanning'})  # no stages declared: it is said, as the message
    assert service.get(job['id'])['message'] == 'scanning'
    service.runs.report(job['id'], {'stage': 'copying', 'message': 'a.txt'})
    assert service.get(job['id'])['message'] == 'a.txt'
    service.runs.report(job['id'], {'percent': 42})
    now = service.get(job['id'])
    assert (now['current'], now['total'], now['unit'], now['progress']) == (42, 100, '%', 42)
    service.runs.report(job['id'], {'total': None, 'unit': 'bytes', 'current': 5})
    assert (service.get(job['id'])['total'], service.get(job['id'])['unit']) == (None, 'bytes')
    # paused without being asked: the script waits for Resume
    assert service.runs.report(job['id'], {'paused': True}) == {'control': 'pause', 'status': 'paused'}
    service.resume(job['id'])
    answer = service.runs.report(job['id'], [{'done': True, 'result': 1}, {'current': 9}])  # nothing after done
    assert answer['status'] == 'completed' and service.get(job['id'])['result'] == 1


def test_a_resume_key_takes_up_a_run_whatever_it_is_doing_but_completed(start):
    service, _engine = start()
    job, _ = service.runs.open_run(resume_key='k', **SCRIPT)
    again, created = service.runs.open_run(resume_key='k', **SCRIPT)  # the script started again while it ran
    assert not created and again['id'] == job['id'] and again['attempts'] == 2 and again['status'] == 'running'
    service.pause(job['id'], wait=0)
    service.runs.report(job['id'], {'paused': True})
    again, _ = service.runs.open_run(resume_key='k', **SCRIPT)
    assert (again['status'], again['pause_requested'], again['attempts']) == ('running', False, 3)
    assert service.runs.control(job['id']) == 'run'
    service.cancel(job['id'], wait=0)
    again, _ = service.runs.open_run(resume_key='k', **SCRIPT)
    assert (again['status'], again['attempts']) == ('running', 4) and service.runs.control(job['id']) == 'run'
    assert types(service, job['id'])[-3:] == ['cancelling', 'cancelled', 'reattached']
