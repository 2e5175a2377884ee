"""Ctrl-C of the real app while jobs sit where no pause or cancel reaches them (t_stuck: a sleep that never calls
ctx.check()): the app waits a bounded time, then exits anyway; the next start resumes the interrupted job and
leaves the one that was being cancelled cancelled."""

from __future__ import annotations

import signal
from pathlib import Path

from tests import fixture_kinds
from tests.helpers import wait_until

EXIT_DEADLINE = 30.0  # the app gives jobs 10 s; the rest is a margin for a loaded machine, not a promise


def test_ctrl_c_with_stuck_jobs_exits_and_the_next_start_resumes_or_cancels_them(app_process, tmp_path: Path):
    data = tmp_path / 'data'
    fixture_kinds.install(data / 'plugins')
    app = app_process('--workers', '2', data_dir=data)
    interrupted, cancelling = app.submit('t_stuck'), app.submit('t_stuck')
    for job in (interrupted, cancelling):
        wait_until(lambda job=job: app.job(job['id'])['status'] == 'running')
    assert app.client.post(f"/api/jobs/{cancelling['id']}/cancel").json()['status'] == 'cancelling'
    app.proc.send_signal(signal.SIGINT)
    assert app.proc.wait(EXIT_DEADLINE) is not None, app.output()  # raises TimeoutExpired if it hangs
    restarted = app_process('--workers', '2', data_dir=data)
    assert restarted.job(cancelling['id'])['status'] == 'cancelled'
    events = [e['type'] for e in restarted.client.get(f"/api/jobs/{interrupted['id']}/events").json()]
    assert 'interrupted' in events and 'cancelled' not in events
    assert restarted.job(interrupted['id'])['status'] in ('queued', 'running')  # resumed: stuck again, as before
