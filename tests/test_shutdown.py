"""Ctrl-C of the real app while jobs sit where no pause or cancel reaches them (t_stuck: a sleep that never calls
ctx.check()): the app waits a bounded time, then exits anyway; the next start resumes the interrupted job and
leaves the one that was being cancelled cancelled."""

from __future__ import annotations

import signal
import threading
from pathlib import Path

import httpx
import pytest

from tests import fixture_kinds
from tests.helpers import AppProcess, wait_until

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


def follow(app: AppProcess, path: str) -> threading.Thread:
    """A client reading an SSE stream until the server ends it (a thread: the test goes on meanwhile)."""
    opened = threading.Event()

    def read() -> None:
        with httpx.stream('GET', app.url + path, timeout=None) as response:
            opened.set()
            for _ in response.iter_lines():
                pass

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    assert opened.wait(10), f'{path} did not answer'
    return reader


@pytest.mark.parametrize('running', [0, 2])
def test_ctrl_c_stops_at_once_with_streams_open_and_says_so_in_one_line(app_process, running):
    app = app_process()
    jobs = [app.submit('demo', {'items': 100_000, 'item_seconds': 0.05}) for _ in range(running)]
    for job in jobs:
        wait_until(lambda job=job: app.job(job['id'])['status'] == 'running')
    streams = [follow(app, '/api/events/stream')] + [follow(app, f"/api/jobs/{job['id']}/stream") for job in jobs]
    app.proc.send_signal(signal.SIGINT)  # once: the open streams must not hold the app until a second Ctrl-C
    assert app.proc.wait(EXIT_DEADLINE) == 0, app.output()
    for stream in streams:
        stream.join(EXIT_DEADLINE)
        assert not stream.is_alive(), 'the server ended the stream'
    said = app.output().split('NiceGUI ready to go on', 1)[1].splitlines()[1:]
    assert said == ['Progress App stopped; 2 running jobs will go on at the next start' if running
                    else 'Progress App stopped.'], app.output()
