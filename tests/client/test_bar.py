"""The drop-in tqdm in real script subprocesses against the real app: a loop is a job that completes with its
progress; cancel and pause in the app reach the script; the app killed mid-run, or down from the start, costs the
script nothing but one line on stderr."""

from __future__ import annotations

import re
import socket
import time

from tests.client.helpers import job_named, progress_lines, read_state
from tests.helpers import free_port, wait_until


def test_a_tqdm_loop_is_a_job_that_completes_with_its_progress(app_process, script, tmp_path):
    app = app_process()
    proc = script('count', str(tmp_path / 'state'), '--n', '150', '--delay', '0.02', '--name', 'count 150',
                        url=app.url)
    job = job_named(app, 'count 150')
    seen = []
    wait_until(lambda: seen.append(app.job(job['id'])['current']) or 0 < seen[-1] < 150, 20, 0.02,
               'progress while the loop runs')
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    done = wait_until(lambda: (j := app.job(job['id']))['status'] == 'completed' and j, 10)
    assert done['current'] == done['total'] == 150 and done['unit'] == 'items'
    assert done['external']['host'] == socket.gethostname() and done['external']['pid'] == proc.pid
    assert 'count 150' in err  # the bar still draws in the terminal
    assert not progress_lines(err)


def counting(app, script, state, name: str, *args: str, at_least: int = 1):
    """scripts/count.py reporting as job `name`, once the job has counted `at_least` items: (process, job)."""
    proc = script('count', str(state), '--name', name, *args, url=app.url)
    job = job_named(app, name)
    wait_until(lambda: app.job(job['id'])['current'] >= at_least, 20)
    return proc, job


def test_cancel_in_the_app_ends_the_script(app_process, script, tmp_path):
    app = app_process()
    proc, job = counting(app, script, tmp_path / 'state', 'to cancel', '--n', '10000')
    assert app.client.post(f'/api/jobs/{job["id"]}/cancel').status_code == 200
    proc.communicate(timeout=10)
    assert proc.returncode != 0
    assert wait_until(lambda: app.job(job['id'])['status'] == 'cancelled', 10)
    assert read_state(tmp_path / 'state')[0] < 10000


def test_a_paused_script_stands_still_until_resumed(app_process, script, tmp_path):
    app = app_process()
    state = tmp_path / 'state'
    proc, job = counting(app, script, state, 'to pause', '--n', '300')
    assert app.client.post(f'/api/jobs/{job["id"]}/pause').status_code == 200
    paused = wait_until(lambda: (j := app.job(job['id']))['status'] == 'paused' and j, 10)
    ticks = read_state(state)[1]
    wait_until(lambda: read_state(state)[1] >= ticks + 2, 10)  # the side thread has written the final count
    done, ticks = read_state(state)
    # The script is alive (its side thread ticks on, 25 ticks ≥ 0.5 s) and its loop does not move.
    wait_until(lambda: read_state(state)[1] >= ticks + 25, 10)
    assert read_state(state)[0] == done
    assert app.job(job['id'])['current'] == paused['current']
    assert proc.poll() is None
    assert app.client.post(f'/api/jobs/{job["id"]}/resume').status_code == 200
    wait_until(lambda: read_state(state)[0] > done, 10)
    proc.communicate(timeout=30)
    assert proc.returncode == 0
    assert wait_until(lambda: (j := app.job(job['id']))['status'] == 'completed' and j['current'] == 300, 10)


def test_the_script_runs_on_while_the_app_is_killed_and_restarted(app_process, script, tmp_path):
    app = app_process()
    state, gate = tmp_path / 'state', tmp_path / 'gate'
    proc, job = counting(app, script, state, 'survivor', '--n', '150', '--delay', '0.02', '--gate', str(gate),
                         '--gate-at', '120', at_least=10)
    app.kill()
    killed_at, done_then = time.monotonic(), read_state(state)[0]
    wait_until(lambda: read_state(state)[0] >= 120, 20, message='the script to go on while the app is down')
    # at full speed: 0.02 s an item (and some slack for a busy machine), not held up by the missing app
    assert time.monotonic() - killed_at < (120 - done_then) * 0.02 * 3 + 1
    app.start()
    gate.touch()
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    done = wait_until(lambda: (j := app.job(job['id']))['status'] == 'completed' and j, 15)
    assert done['current'] == 150
    assert len(progress_lines(err)) == 1, err


def test_with_the_app_down_from_the_start_the_script_completes_and_says_so_once(script, tmp_path):
    url = f'http://127.0.0.1:{free_port()}'  # nothing listens there
    started = time.monotonic()
    proc = script('count', str(tmp_path / 'state'), '--n', '100', '--delay', '0', url=url)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    assert read_state(tmp_path / 'state')[0] == 100 or proc.returncode == 0
    lines = progress_lines(err)
    assert len(lines) == 1 and 'cannot be reached' in lines[0], err
    assert time.monotonic() - started < 8  # the exit flush gives up after ~2 s


def test_an_inner_bar_is_the_jobs_message_and_tqdm_write_goes_to_its_log(app_process, script):
    app = app_process()
    proc = script('nested', url=app.url)
    job = job_named(app, 'nested')
    messages: list[str] = []
    wait_until(lambda: messages.append(app.job(job['id'])['message']) or proc.poll() is not None, 30, 0.02)
    out, err = proc.communicate()
    assert proc.returncode == 0, err
    assert 'finished item 39' in out  # tqdm.write still prints
    assert any(re.fullmatch(r'inner: \d/5 items', m) for m in messages), set(messages)
    done = wait_until(lambda: (j := app.job(job['id']))['status'] == 'completed' and j, 10)
    assert done['current'] == 40
    log = app.client.get(f'/api/jobs/{job["id"]}/log').text
    assert 'finished item 0' in log and 'finished item 39' in log
    assert len([j for j in app.client.get('/api/jobs', params={'kind': 'external'}).json()['items']]) == 1


def test_a_job_removed_in_the_app_ends_its_script(app_process, script, tmp_path):
    app = app_process()
    proc, job = counting(app, script, tmp_path / 'state', 'to remove', '--n', '10000')
    assert app.client.delete(f'/api/jobs/{job["id"]}').status_code == 204
    _, err = proc.communicate(timeout=15)
    assert proc.returncode != 0 and 'Cancelled' in err


def test_behind_a_password_the_token_lets_the_script_report_and_without_it_the_script_runs_on(
        app_process, script, tmp_path):
    app = app_process(env={'PROGRESS_APP_PASSWORD': 'sesame-42'})
    app.client.headers['Authorization'] = 'Bearer sesame-42'
    allowed = script('count', str(tmp_path / 'a'), '--n', '20', '--name', 'with token', url=app.url,
                     token='sesame-42')
    refused = script('count', str(tmp_path / 'b'), '--n', '20', '--name', 'without', url=app.url)
    _, err = refused.communicate(timeout=30)
    assert refused.returncode == 0
    lines = progress_lines(err)
    assert len(lines) == 1 and 'HTTP 401' in lines[0], err
    _, err = allowed.communicate(timeout=30)
    assert allowed.returncode == 0 and not progress_lines(err), err
    assert job_named(app, 'with token')['external']['user']
    items = app.client.get('/api/jobs', params={'kind': 'external'}).json()['items']
    assert [job['name'] for job in items] == ['with token']
