"""`--executor processes`: job functions run in the worker processes of a real Dask LocalCluster (two workers,
shared by the module's tests) and behave as they do in the app's threads: live progress, messages and log lines,
pause and resume, cancel (of a child process on the worker too), a `command` job's program, a bug's traceback
(an expected failure's one line), and a job whose worker is killed goes on from its checkpoint on the other
worker."""

from __future__ import annotations

import os
import shutil
import signal
from collections.abc import Iterator
from pathlib import Path

import pytest

from progress_app.config import Settings
from progress_app.runtime.engine.engine import Engine
from progress_app.runtime.service import JobService
from tests.helpers import ROOT, gone, wait_until

psutil = pytest.importorskip('psutil')
pytest.importorskip('distributed')

KINDS = ROOT / 'tests' / 'executor_kinds.py'  # the test kinds, installed as a plugin
TIMEOUT = 60.0  # two busy cores shared with other test runs: generous, never a timing assertion


@pytest.fixture(scope='module')
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[JobService]:
    data = tmp_path_factory.mktemp('executor') / 'data'
    data.joinpath('plugins').mkdir(parents=True)
    shutil.copy(KINDS, data / 'plugins')
    service = JobService(Engine(Settings(data_dir=data, executor='processes', executor_workers=2)))
    service.startup()
    yield service
    service.shutdown(timeout=10)


def status_is(service: JobService, job_id: int, *statuses: str) -> dict:
    return wait_until(lambda: (job := service.get(job_id))['status'] in statuses and job, TIMEOUT,
                      message=lambda: f'job {job_id} to be {statuses}; it is {service.get(job_id)["status"]}')


def holding(service: JobService, job_id: int) -> int:
    """The pid of the worker process holding job `job_id` at its gate (from its live message)."""
    job = wait_until(lambda: (job := service.get(job_id))['message'].startswith('holding') and job, TIMEOUT,
                     message=lambda: f'job {job_id} to hold; it is {service.get(job_id)}')
    return int(job['message'].rsplit(' ', 1)[1])


def test_the_executor_is_described(service: JobService) -> None:
    info = service.executor_info()
    assert info['executor'] == 'processes'
    assert info['workers'] == 2
    assert info['address'].startswith('tcp://127.0.0.1:')


def test_a_plugin_job_runs_in_a_worker_process_with_live_progress(service: JobService, tmp_path: Path) -> None:
    gate = tmp_path / 'gate'
    job = service.submit('x_steps', {'steps': 5, 'hold_at': 2, 'gate': str(gate)})
    pid = holding(service, job['id'])
    assert pid != os.getpid()
    live = service.get(job['id'])
    assert live['status'] == 'running'
    assert live['current'] == 2 and live['total'] == 5 and live['unit'] == 'steps'  # live, from the worker
    gate.touch()
    done = status_is(service, job['id'], 'completed')
    assert done['result'] == {'pid': pid, 'done': [0, 1, 2, 3, 4]}
    assert done['progress'] == 100
    log = service.config.job_paths.log_file(job['id']).read_text()
    assert f'running in pid {pid}' in log


def test_a_job_waiting_for_a_free_worker_says_so(service: JobService, tmp_path: Path) -> None:
    gate = tmp_path / 'gate'
    jobs = [service.submit('x_steps', {'steps': 1, 'hold_at': 0, 'gate': str(gate)})['id'] for _ in range(3)]
    wait_until(lambda: sum(service.get(j)['message'].startswith('holding') for j in jobs) == 2, TIMEOUT)
    third = next(service.get(j) for j in jobs if not service.get(j)['message'].startswith('holding'))
    assert third['status'] == 'running' and third['message'] == 'waiting for a free Dask worker'  # 2 workers
    gate.touch()
    for job in jobs:
        status_is(service, job, 'completed')


def test_pause_resume_and_cancel_reach_the_worker(service: JobService, tmp_path: Path) -> None:
    gate = tmp_path / 'gate'
    job = service.submit('x_steps', {'steps': 3, 'hold_at': 1, 'gate': str(gate)})
    holding(service, job['id'])
    service.pause(job['id'])
    status_is(service, job['id'], 'paused')
    gate.touch()  # a paused job does not go on: it is blocked at its check point, on the worker
    service.resume(job['id'])
    status_is(service, job['id'], 'completed')

    other = service.submit('x_steps', {'steps': 3, 'hold_at': 1, 'gate': str(tmp_path / 'never')})
    holding(service, other['id'])
    service.cancel(other['id'])
    cancelled = status_is(service, other['id'], 'cancelled')
    assert cancelled['current'] == 1


def test_a_child_process_on_the_worker_is_paused_and_cancelled(service: JobService) -> None:
    job = service.submit('x_child', {'seconds': 60})
    line = wait_until(lambda: service.get(job['id'])['message'].startswith('child') and service.get(job['id']),
                      TIMEOUT)['message']
    child_pid, worker_pid = (int(word) for word in line.split()[1::2])
    assert worker_pid != os.getpid()
    child = psutil.Process(child_pid)
    service.pause(job['id'])
    status_is(service, job['id'], 'paused')
    wait_until(lambda: child.status() == psutil.STATUS_STOPPED, TIMEOUT)
    service.resume(job['id'])
    wait_until(lambda: child.status() != psutil.STATUS_STOPPED, TIMEOUT)
    service.cancel(job['id'])
    status_is(service, job['id'], 'cancelled')
    wait_until(lambda: gone(child), TIMEOUT)


def test_a_command_job_runs_its_program_on_a_worker(service: JobService) -> None:
    job = service.submit('command', {'command': ['sh', '-c', 'echo "started by $PPID"; echo 50%']})
    done = status_is(service, job['id'], 'completed')
    log = service.config.job_paths.log_file(job['id']).read_text()
    started_by = int(log.split('started by ', 1)[1].split()[0])
    assert started_by != os.getpid() and psutil.Process(started_by).ppid() == os.getpid()  # a worker of ours
    assert done['progress'] == 100


def test_a_failing_job_has_its_traceback(service: JobService) -> None:
    job = service.submit('x_fail', {})
    failed = status_is(service, job['id'], 'failed')
    assert failed['error'] == 'ZeroDivisionError: division by zero'
    assert 'in fail' in failed['traceback'] and '1 / 0' in failed['traceback']


def test_an_expected_failure_is_one_line_without_a_traceback(service: JobService) -> None:
    job = service.submit('x_refuse', {})
    failed = status_is(service, job['id'], 'failed')
    assert failed['error'] == 'JobFailed: the input is not a video'
    assert failed['traceback'] == 'JobFailed: the input is not a video\nffprobe: invalid data found'


def test_a_job_whose_worker_is_killed_goes_on_from_its_checkpoint(service: JobService, tmp_path: Path) -> None:
    gate = tmp_path / 'gate'
    job = service.submit('x_steps', {'steps': 6, 'hold_at': 3, 'gate': str(gate)})
    first = holding(service, job['id'])
    os.kill(first, signal.SIGKILL)
    second = wait_until(lambda: (pid := holding(service, job['id'])) != first and pid, TIMEOUT)
    gate.touch()
    done = status_is(service, job['id'], 'completed')
    assert done['result'] == {'pid': second, 'done': [3, 4, 5]}  # items 0-2 were checkpointed before the kill
    events = service.events(job['id'])
    assert any(e['type'] == 'message' and 'was lost' in e['data']['message'] for e in events)
