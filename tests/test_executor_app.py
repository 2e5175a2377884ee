"""The real app (`python app.py --executor processes`) SIGKILLed while jobs run in its Dask worker processes, one
of them with a child process: nothing of its cluster outlives it (workers, their jobs' child processes, Dask's
helpers), and the next start goes on with the job from its checkpoint."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from tests.helpers import ROOT, gone, wait_until

psutil = pytest.importorskip('psutil')
pytest.importorskip('distributed')

KINDS = ROOT / 'tests' / 'executor_kinds.py'  # the test kinds, installed as a plugin
TIMEOUT = 60.0


def holding(app, job_id: int) -> int:
    job = wait_until(lambda: (job := app.job(job_id))['message'].startswith('holding') and job, TIMEOUT,
                     message=lambda: f'job {job_id} to hold; it is {app.job(job_id)}')
    return int(job['message'].rsplit(' ', 1)[1])


def test_no_worker_outlives_a_killed_app_and_the_job_resumes(app_process, tmp_path: Path) -> None:
    data = tmp_path / 'data'
    data.joinpath('plugins').mkdir(parents=True)
    shutil.copy(KINDS, data / 'plugins')
    gate = tmp_path / 'gate'
    args = ('--executor', 'processes', '--executor-workers', '2')
    app = app_process(*args, data_dir=data)
    assert app.client.get('/api/health').json()['executor']['executor'] == 'processes'
    job = app.submit('x_steps', {'steps': 5, 'hold_at': 2, 'gate': str(gate)})
    worker = holding(app, job['id'])
    assert worker != app.proc.pid
    sleeper = app.submit('x_child', {'seconds': 120})  # a child process on the other worker
    line = wait_until(lambda: (j := app.job(sleeper['id']))['message'].startswith('child') and j['message'],
                      TIMEOUT)
    family = psutil.Process(app.proc.pid).children(recursive=True)
    assert {worker, int(line.split()[1])} <= {p.pid for p in family}
    app.kill()
    wait_until(lambda: all(gone(p) for p in family), 15,
               message=lambda: f'the cluster to end with the app; left: {[p for p in family if not gone(p)]}')

    again = app_process(*args, data_dir=data)
    again.client.post(f"/api/jobs/{sleeper['id']}/cancel").raise_for_status()  # it started again: not needed
    second = holding(again, job['id'])
    assert second != worker
    gate.touch()
    job_id = job['id']
    done = wait_until(lambda: (job := again.job(job_id))['status'] == 'completed' and job, TIMEOUT)
    assert done['result']['done'] == [2, 3, 4]  # items 0 and 1 were checkpointed before the kill
    assert done['result']['pid'] not in (os.getpid(), again.proc.pid)
