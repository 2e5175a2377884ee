"""External runs outlive the app: killed (SIGKILL) and started again, it still shows the run running, and the
script's reports go on until it completes. Behind a password, reporting needs the token."""

from __future__ import annotations

import threading
import time

from progress_app.config import Settings
from tests.helpers import AppProcess, stored_job, wait_until


def test_a_run_survives_the_app_killed_and_started_again(tmp_path):
    data = tmp_path / 'data'
    app = AppProcess(data).start()
    try:
        job = app.client.post('/api/runs', json={'name': 'long copy', 'total': 10, 'host': 'h', 'pid': 1}).json()
        app.client.post(f"/api/jobs/{job['id']}/report", json=[{'current': 6, 'checkpoint': {'next': 6}}])
        # The checkpoint is stored before the answer; progress is written behind, within a second
        wait_until(lambda: (stored_job(Settings(data_dir=data).db_url, job['id']) or {}).get('current') == 6)
        app.kill()
        app.client.close()
        app = AppProcess(data, port=app.port).start()
        after = app.job(job['id'])
        assert (after['status'], after['current'], after['external']['resume_state']) == ('running', 6, {'next': 6})
        answer = app.client.post(f"/api/jobs/{job['id']}/report", json={'current': 9}).json()
        assert answer == {'control': 'run', 'status': 'running'}
        app.client.post(f"/api/jobs/{job['id']}/report", json={'done': True, 'exit_code': 0})
        assert app.job(job['id'])['status'] == 'completed'
        types = [e['type'] for e in app.client.get(f"/api/jobs/{job['id']}/events").json()]
        assert 'interrupted' not in types and types[-1] == 'completed'
    finally:
        app.kill()
        app.client.close()


def test_behind_a_password_a_script_needs_the_token(tmp_path):
    app = AppProcess(tmp_path / 'data', env={'PROGRESS_APP_PASSWORD': 'a secret phrase'}).start()
    try:
        assert app.client.post('/api/runs', json={}).status_code == 401
        assert app.client.post('/api/jobs/1/report', json={}).status_code == 401
        auth = {'Authorization': 'Bearer a secret phrase'}
        response = app.client.post('/api/runs', json={}, headers=auth)
        assert response.status_code == 201, response.text
        job_id = response.json()['id']
        assert app.client.post(f'/api/jobs/{job_id}/report', json={'current': 1}).status_code == 401
        answer = app.client.post(f'/api/jobs/{job_id}/report', json={'current': 1}, headers=auth)
        assert answer.json() == {'control': 'run', 'status': 'running'}
    finally:
        app.stop()
        app.client.close()


def test_a_silent_script_s_run_fails_and_comes_back_with_its_next_report(tmp_path):
    app = AppProcess(tmp_path / 'data').start()
    try:
        job = app.client.post('/api/runs', json={'host': 'build-box', 'pid': 77, 'lease_seconds': 10}).json()
        failed = wait_until(lambda: (j := app.job(job['id']))['status'] == 'failed' and j, timeout=30, interval=0.2)
        assert failed['error'] == 'no report from host build-box pid 77 for 10 s'
        answer = app.client.post(f"/api/jobs/{job['id']}/report", json={'current': 1}).json()
        assert answer == {'control': 'run', 'status': 'running'}
        events = app.client.get(f"/api/jobs/{job['id']}/events").json()
        assert [e['type'] for e in events][-2:] == ['failed', 'reattached']
        assert events[-2]['data']['reason'] == 'lease' and events[-1]['data']['after_seconds'] >= 10
    finally:
        app.stop()
        app.client.close()


def test_a_waiting_report_does_not_hold_the_app_open_when_it_stops(tmp_path):
    app = AppProcess(tmp_path / 'data').start()
    try:
        job = app.client.post('/api/runs', json={}).json()
        answers = []
        waiting = threading.Thread(target=lambda: answers.append(
            app.client.post(f"/api/jobs/{job['id']}/report", json={}, params={'wait': 30}, timeout=40)))
        waiting.start()
        opened = job['external']['last_report_at']
        wait_until(lambda: app.job(job['id'])['external']['last_report_at'] != opened)  # it waits now
        started = time.monotonic()
        app.stop()
        assert time.monotonic() - started < 10  # not the 30 s the report would wait
        waiting.join(10)
        assert answers and answers[0].json() == {'control': 'run', 'status': 'running'}
    finally:
        app.kill()
        app.client.close()
