"""`progress-app run -- CMD` against the real app: CMD's exit status is the command's and the job's outcome;
pause stops CMD's process group and resume continues it; cancel ends it; real tools (curl, wget, a rich bar,
git clone) against 127.0.0.1 show live percent through the `command` kind's parsers."""

from __future__ import annotations

import re
import signal
import sys
from pathlib import Path

import httpx
import pytest

from tests.client.helpers import job_named
from tests.helpers import free_port, wait_until
from tests.tool_fixtures import BYTES_SPEED, RATE, RICH_BAR, make_repository, needs

FINISHED = ('completed', 'failed', 'cancelled')


def finished(app, job_id: int) -> dict:
    return wait_until(lambda: (j := app.job(job_id))['status'] in FINISHED and j, 15)


def watch(app, progress_app, name: str, *cmd: str, timeout: float = 60) -> tuple[list[dict], dict, str]:
    """Run CMD through `progress-app run` and sample its job until it ends: (snapshots with progress while it ran,
    the finished job, CMD's echoed output)."""
    proc = progress_app('run', '--name', name, '--', *cmd, url=app.url)
    job = job_named(app, name)
    running: list[dict] = []

    def sample() -> bool:
        snap = app.job(job['id'])
        if snap['status'] == 'running' and snap['current']:
            running.append(snap)
        return proc.poll() is not None

    wait_until(sample, timeout, 0.02, f'{name} to end')
    out, err = proc.communicate()
    assert proc.returncode == 0, err
    done = finished(app, job['id'])
    assert done['status'] == 'completed', done['error']
    return running, done, out + err


def live_percents(running: list[dict]) -> list[float]:
    percents = sorted({round(s['progress']) for s in running if 0 < s['progress'] < 100})
    assert percents, f'no live percent between 0 and 100: {[s["progress"] for s in running]}'
    return percents


def test_the_exit_status_is_the_commands_and_decides_the_job(app_process, progress_app):
    app = app_process()
    failing = progress_app('run', '--name', 'exit 3', '--', 'sh', '-c', 'echo trying; exit 3', url=app.url)
    out, _ = failing.communicate(timeout=30)
    assert failing.returncode == 3 and out == 'trying\n'
    failed = finished(app, job_named(app, 'exit 3')['id'])
    assert failed['status'] == 'failed' and failed['error'] == 'exit code 3'
    assert failed['external']['command'] == "sh -c 'echo trying; exit 3'"

    fine = progress_app('run', '--', 'true', url=app.url)
    fine.communicate(timeout=30)
    assert fine.returncode == 0
    assert finished(app, job_named(app, 'true')['id'])['status'] == 'completed'


def test_pause_stops_the_commands_process_group_and_cancel_ends_it(app_process, progress_app, tmp_path):
    app = app_process()
    pid_file = tmp_path / 'pid'
    loop = f'echo $$ > {pid_file}; while true; do sleep 0.05; done'
    proc = progress_app('run', '--name', 'looping', '--', 'sh', '-c', loop, url=app.url)
    job = job_named(app, 'looping')
    pid = int(wait_until(lambda: pid_file.exists() and pid_file.read_text().strip(), 20))
    assert app.client.post(f'/api/jobs/{job["id"]}/pause').status_code == 200
    wait_until(lambda: app.job(job['id'])['status'] == 'paused', 10)
    wait_until(lambda: _state(pid) == 'T', 10, message='the command to be stopped')
    assert app.client.post(f'/api/jobs/{job["id"]}/resume').status_code == 200
    wait_until(lambda: _state(pid) in ('S', 'R'), 10, message='the command to run again')
    assert app.client.post(f'/api/jobs/{job["id"]}/cancel').status_code == 200
    proc.communicate(timeout=15)
    assert proc.returncode == 130
    assert finished(app, job['id'])['status'] == 'cancelled'
    assert _state(pid) is None  # the command is gone too


def _state(pid: int) -> str | None:
    """The process's state letter (R, S, T for stopped…), None once it is gone (or a zombie)."""
    try:
        state = Path(f'/proc/{pid}/stat').read_text().rsplit(')', 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return None
    return None if state in ('Z', 'X') else state


@needs('curl')
def test_curl_default_meter(app_process, progress_app, served, tmp_path):
    url, _ = served
    app = app_process()
    running, done, output = watch(app, progress_app, 'curl', 'curl', '-o', str(tmp_path / 'out'), f'{url}/big.bin')
    live_percents(running)
    assert {s['unit'] for s in running} == {'bytes'}
    assert any(re.search(r'^\d+(\.\d)? % · ' + BYTES_SPEED.pattern, s['message']) for s in running)
    assert done['progress'] == 100
    assert '% Total' in output  # curl's meter is echoed


@needs('wget')
def test_wget_bar(app_process, progress_app, served, tmp_path):
    url, _ = served
    app = app_process()
    running, done, _ = watch(app, progress_app, 'wget', 'wget', '--progress=bar:force', '-O',
                             str(tmp_path / 'out'), f'{url}/big.bin')
    live_percents(running)
    assert done['progress'] == 100


def test_rich_bar(app_process, progress_app):
    app = app_process()
    running, done, _ = watch(app, progress_app, 'rich', sys.executable, '-c', RICH_BAR)
    live_percents(running)
    assert any(s['message'].startswith('Fetching · ') for s in running)
    assert done['progress'] == 100


@needs('git', 'pv')
def test_git_clone_of_a_local_repository(app_process, progress_app, tmp_path):
    origin = make_repository(tmp_path / 'origin.git')
    upload_pack = tmp_path / 'slow-upload-pack'  # the local clone slowed down, so that its progress can be seen
    upload_pack.write_text(f'#!/bin/sh\ngit-upload-pack "$@" | pv -q -L {RATE // 2}\n')
    upload_pack.chmod(0o755)
    app = app_process()
    running, _, _ = watch(app, progress_app, 'git clone', 'git', 'clone', '--progress',
                          f'--upload-pack={upload_pack}', f'file://{origin}', str(tmp_path / 'clone'))
    live_percents(running)
    assert any(s['message'].startswith('Receiving objects · ') for s in running)
    assert (tmp_path / 'clone' / 'f0.bin').exists()


@pytest.mark.parametrize('stop', [signal.SIGINT, signal.SIGTERM], ids=['ctrl-c', 'kill'])
def test_ctrl_c_or_kill_cancels_the_job_and_ends_the_command(app_process, progress_app, tmp_path, stop):
    app = app_process()
    pid_file = tmp_path / 'pid'
    proc = progress_app('run', '--name', 'interrupted', '--', 'sh', '-c', f'echo $$ > {pid_file}; sleep 60',
                        url=app.url)
    job = job_named(app, 'interrupted')
    pid = int(wait_until(lambda: pid_file.exists() and pid_file.read_text().strip(), 20))
    proc.send_signal(stop)
    proc.communicate(timeout=15)
    assert proc.returncode == 130
    assert finished(app, job['id'])['status'] == 'cancelled'
    assert _state(pid) is None


def test_serve_starts_the_app_with_the_flags_of_app_py(progress_app, tmp_path):
    port = free_port()
    proc = progress_app('serve', '--no-browser', '--port', str(port), '--data-dir', str(tmp_path / 'data'),
                        url='http://unused')

    def healthy() -> bool:
        assert proc.poll() is None, proc.communicate()
        try:
            return httpx.get(f'http://127.0.0.1:{port}/api/health', timeout=1).status_code == 200
        except httpx.TransportError:
            return False

    wait_until(healthy, 60, 0.1, 'the app started by progress-app serve to answer')
    proc.send_signal(signal.SIGINT)
    proc.communicate(timeout=20)
    assert (tmp_path / 'data').is_dir()


def test_a_command_that_does_not_exist_fails_the_job_with_status_127(app_process, progress_app):
    app = app_process()
    proc = progress_app('run', '--name', 'missing', '--', 'no-such-program-here', url=app.url)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 127
    assert err.strip() == 'progress-app run: cannot run no-such-program-here: No such file or directory'
    failed = finished(app, job_named(app, 'missing')['id'])
    assert failed['status'] == 'failed' and failed['error'] == 'exit code 127'
