"""`--executor tcp://…`: a real `dask scheduler` and `dask worker` as processes of their own on 127.0.0.1, and the
real app pointed at the scheduler. A plugin job (shipped to the worker) runs there with live progress, a cancel
reaches it, and when the app is SIGKILLed the work it had started on the cluster is cancelled there."""

from __future__ import annotations

import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers import ROOT, free_port, gone, wait_until

psutil = pytest.importorskip('psutil')
pytest.importorskip('distributed')

KINDS = ROOT / 'tests' / 'executor_kinds.py'  # the test kinds, installed as a plugin
TIMEOUT = 60.0
DASK = str(Path(sys.executable).with_name('dask'))


@pytest.fixture(scope='module')
def scheduler(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The address of a scheduler with one worker (two threads), both processes of their own."""
    logs = tmp_path_factory.mktemp('dask')
    port = free_port()
    address = f'tcp://127.0.0.1:{port}'
    procs = []
    try:
        with (logs / 'scheduler.log').open('wb') as out:
            procs.append(subprocess.Popen([DASK, 'scheduler', '--host', '127.0.0.1', '--port', str(port),
                                           '--no-dashboard', '--dashboard-address', '127.0.0.1:0'],
                                          cwd=ROOT, stdout=out, stderr=out))
        with (logs / 'worker.log').open('wb') as out:
            procs.append(subprocess.Popen([DASK, 'worker', address, '--nthreads', '2', '--no-nanny',
                                           '--no-dashboard', '--host', '127.0.0.1'], cwd=ROOT,
                                          stdout=out, stderr=out))
        yield address
    finally:
        for proc in procs:
            proc.send_signal(signal.SIGINT)
        for proc in procs:
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def test_the_app_runs_jobs_on_an_existing_cluster(scheduler: str, app_process, tmp_path: Path) -> None:
    data = tmp_path / 'data'
    data.joinpath('plugins').mkdir(parents=True)
    shutil.copy(KINDS, data / 'plugins')
    app = app_process('--executor', scheduler, data_dir=data)
    wait_until(lambda: app.client.get('/api/health').json()['executor']['workers'] == 1, TIMEOUT)
    assert app.client.get('/api/health').json()['executor']['address'] == scheduler

    gate = tmp_path / 'gate'
    job = app.submit('x_steps', {'steps': 4, 'hold_at': 2, 'gate': str(gate)})
    live = wait_until(lambda: (j := app.job(job['id']))['message'].startswith('holding') and j, TIMEOUT)
    assert live['current'] == 2 and live['total'] == 4  # live progress from the worker
    worker = int(live['message'].rsplit(' ', 1)[1])
    assert worker != app.proc.pid
    gate.touch()
    done = wait_until(lambda: (j := app.job(job['id']))['status'] == 'completed' and j, TIMEOUT)
    assert done['result'] == {'pid': worker, 'done': [0, 1, 2, 3]}

    other = app.submit('x_steps', {'steps': 4, 'hold_at': 1, 'gate': str(tmp_path / 'never')})
    wait_until(lambda: app.job(other['id'])['message'].startswith('holding'), TIMEOUT)
    app.client.post(f"/api/jobs/{other['id']}/cancel").raise_for_status()
    wait_until(lambda: app.job(other['id'])['status'] == 'cancelled', TIMEOUT)

    # The app dies while a job's child process runs on the worker: the scheduler drops the dead client's task,
    # and the worker cancels the job there (its child process too), rather than running it on unwatched.
    child_job = app.submit('x_child', {'seconds': 120})
    line = wait_until(lambda: (j := app.job(child_job['id']))['message'].startswith('child') and j['message'],
                      TIMEOUT)
    child = psutil.Process(int(line.split()[1]))
    assert child.is_running()
    app.kill()
    wait_until(lambda: gone(child), 30,
               message='the child process on the worker to end after the app was killed')
