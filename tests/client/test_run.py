"""Run and track in real scripts against the real app: a crashed run with a resume_key is attempted again from its
last checkpoint; an exception in a track loop fails the job with the script's error and traceback."""

from __future__ import annotations

import sys

from tests.client.helpers import job_named, progress_lines
from tests.helpers import AppProcess, wait_until


def test_a_crashed_run_goes_on_from_its_checkpoint_as_attempt_2(app_process, script):
    app = app_process()
    first = script('resume', 'nightly', '--crash-at', '7', url=app.url)
    out, err = first.communicate(timeout=30)
    assert first.returncode == 1 and 'crashed after step 7' in err
    assert out.strip() == 'attempt 1 from 0'
    job = job_named(app, 'resumable')
    failed = wait_until(lambda: (j := app.job(job['id']))['status'] == 'failed' and j, 10)
    assert failed['error'] == 'RuntimeError: crashed after step 7'
    assert 'Traceback' in failed['traceback'] and 'resume.py' in failed['traceback']
    assert failed['external']['resume_state'] == 7

    second = script('resume', 'nightly', url=app.url)
    out, err = second.communicate(timeout=30)
    assert second.returncode == 0, err
    assert out.strip() == 'attempt 2 from 7'
    done = wait_until(lambda: (j := app.job(job['id']))['status'] == 'completed' and j, 10)
    assert done['attempts'] == 2 and done['current'] == 20 and done['result'] == {'steps': 13}


def test_an_exception_in_a_track_loop_fails_the_job_with_the_scripts_error(app_process, script):
    app = app_process()
    proc = script('track_fails', url=app.url)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 1 and 'ValueError: bad item 5' in err
    job = job_named(app, 'track fails')
    failed = wait_until(lambda: (j := app.job(job['id']))['status'] == 'failed' and j, 10)
    assert failed['error'] == 'ValueError: bad item 5'
    assert failed['current'] == 5 and failed['total'] == 10


def test_importing_the_client_pulls_in_neither_the_app_nor_its_libraries():
    import subprocess

    code = ('import sys, progress_app.client, progress_app.kinds.output_progress; '
            "print(sorted({m.split('.')[0] for m in sys.modules} & {'nicegui', 'sqlalchemy', 'sqlmodel', 'pydantic', "
            "'fastapi', 'starlette', 'apscheduler'}), "
            "sorted(m for m in sys.modules if m.startswith(('progress_app.runtime', 'progress_app.kinds.registry'))))")
    out = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == '[] []'


def test_stages_messages_and_log_lines_reach_the_job(app_process, script):
    app = app_process()
    proc = script('staged', url=app.url)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    job = job_named(app, 'staged')
    done = wait_until(lambda: (j := app.job(job['id']))['status'] == 'completed' and j, 10)
    assert [(s['name'], s['state']) for s in done['stages']] == [('download', 'done'), ('unpack', 'done')]
    assert done['progress'] == 100 and done['message'] == 'unpack file 5'
    log = app.client.get(f'/api/jobs/{job["id"]}/log').text
    assert 'downloaded file 0' in log and 'unpacked file 5' in log


def test_a_run_begun_while_the_app_was_down_appears_when_the_app_is_up(script, tmp_path):
    app = AppProcess(tmp_path / 'data')  # not started yet: nothing listens on its port
    gate, stderr = tmp_path / 'gate', tmp_path / 'stderr'
    with stderr.open('w') as sink:
        proc = script('staged', '--gate', str(gate), url=app.url, stderr=sink)
    try:
        wait_until(lambda: progress_lines(stderr.read_text()), 20, message='the script to say the app is down')
        app.start()
        gate.touch()
        proc.communicate(timeout=30)
        assert proc.returncode == 0, stderr.read_text()
        assert len(progress_lines(stderr.read_text())) == 1
        job = job_named(app, 'staged')
        done = wait_until(lambda: (j := app.job(job['id']))['status'] == 'completed' and j, 10)
        assert done['progress'] == 100 and 'unpacked file 5' in app.client.get(f'/api/jobs/{job["id"]}/log').text
    finally:
        app.kill()
        app.client.close()
