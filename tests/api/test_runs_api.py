"""External runs over HTTP against the real app (issue 14, /tmp/protocol.md): a script opens a run, reports into it,
and hears pause and cancel in the answers."""

from __future__ import annotations

import threading
import time
from typing import Any

from tests.helpers import AppProcess, wait_until


def open_run(app: AppProcess, expect: int = 201, **fields: Any) -> dict[str, Any]:
    response = app.client.post('/api/runs', json={'host': 'build-box', 'pid': 4242, 'user': 'alice', **fields})
    assert response.status_code == expect, response.text
    return response.json()


def report(app: AppProcess, job_id: int, body: Any, expect: int = 200, **params: Any) -> dict[str, Any]:
    response = app.client.post(f'/api/jobs/{job_id}/report', json=body, params=params)
    assert response.status_code == expect, response.text
    return response.json()


def event_types(app: AppProcess, job_id: int) -> list[str]:
    return [e['type'] for e in app.client.get(f'/api/jobs/{job_id}/events').json()]


def test_a_run_reports_progress_log_and_checkpoint_then_completes(app):
    job = open_run(app, name='backup', total=10, unit='files', command='rsync -a src dst', lease_seconds=30)
    assert job['kind'] == 'external' and job['status'] == 'running' and job['attempts'] == 1
    assert job['pause_requested'] is False
    assert job['external'] | {'last_report_at': None} == {
        'host': 'build-box', 'pid': 4242, 'user': 'alice', 'command': 'rsync -a src dst', 'lease_seconds': 30.0,
        'resume_key': None, 'last_report_at': None, 'resume_state': None}
    assert job['external']['last_report_at'].endswith('Z')
    answer = report(app, job['id'], [{'current': 4, 'message': 'copying a.txt', 'log': 'copied 4'},
                                     {'log': ['line two', 'line three'], 'checkpoint': {'done': 4}}])
    assert answer == {'control': 'run', 'status': 'running'}
    now = app.job(job['id'])
    assert (now['current'], now['total'], now['unit'], now['progress']) == (4, 10, 'files', 40.0)
    assert now['message'] == 'copying a.txt' and now['external']['resume_state'] == {'done': 4}
    assert app.client.get(f"/api/jobs/{job['id']}/log").text.splitlines()[-3:] == [
        'copied 4', 'line two', 'line three']
    assert report(app, job['id'], {'progress': 0.9})['control'] == 'run'
    assert app.job(job['id'])['progress'] == 90.0
    assert report(app, job['id'], {'done': True, 'exit_code': 0, 'result': {'files': 10}}) == {
        'control': 'run', 'status': 'completed'}
    done = app.job(job['id'])
    assert done['status'] == 'completed' and done['result'] == {'files': 10} and done['progress'] == 100.0
    assert event_types(app, job['id'])[:2] == ['created', 'started'] and event_types(app, job['id'])[-1] == 'completed'
    assert 'has ended' in report(app, job['id'], {}, expect=409)['detail']  # a report after done


def test_a_run_fails_with_its_exit_code_or_its_error(app):
    job = open_run(app)
    report(app, job['id'], {'done': True, 'exit_code': 3})
    assert (app.job(job['id'])['status'], app.job(job['id'])['error']) == ('failed', 'exit code 3')
    cronicle = open_run(app)
    report(app, cronicle['id'], {'complete': 1, 'code': 2, 'description': 'disk full'})
    assert app.job(cronicle['id'])['error'] == 'disk full'
    ok = open_run(app)
    assert report(app, ok['id'], {'complete': 1, 'code': 0})['status'] == 'completed'


def test_a_bad_update_refuses_the_whole_batch(app):
    job = open_run(app, stages={'scan': 1, 'copy': 3})
    detail = report(app, job['id'], [{'current': 5}, {'current': -1}], expect=422)['detail']
    assert [e['loc'] for e in detail] == [['body', 1, 'current']]
    detail = report(app, job['id'], [{'current': 5}, {'stage': 'nope'}], expect=422)['detail']
    assert detail[0]['loc'] == ['body', 1, 'stage'] and 'scan, copy' in detail[0]['msg']
    detail = report(app, job['id'], {'current': 1, 'colour': 'red'}, expect=422)['detail']
    assert [e['loc'] for e in detail] == [['body', 'colour']]
    assert app.job(job['id'])['current'] == 0  # nothing applied
    report(app, job['id'], [{'stage': 'copy', 'current': 1, 'total': 4}])
    now = app.job(job['id'])
    assert now['stage'] == 'copy' and [s['state'] for s in now['stages']] == ['done', 'running']
    assert now['progress'] == 25 + 75 / 4


def test_pause_and_resume_reach_the_script(app):
    job = open_run(app)
    paused = app.client.post(f"/api/jobs/{job['id']}/pause").json()  # waits a little for the script, in vain
    assert paused['status'] == 'running' and paused['pause_requested'] is True
    assert report(app, job['id'], {'current': 1}) == {'control': 'pause', 'status': 'running'}
    assert report(app, job['id'], {'paused': True}) == {'control': 'pause', 'status': 'paused'}
    assert app.job(job['id'])['pause_requested'] is False
    resumed = app.client.post(f"/api/jobs/{job['id']}/resume").json()
    assert resumed['status'] == 'running'
    assert report(app, job['id'], {}) == {'control': 'run', 'status': 'running'}
    app.client.post(f"/api/jobs/{job['id']}/pause")
    app.client.post(f"/api/jobs/{job['id']}/resume")  # before the script paused: the request is taken back
    assert report(app, job['id'], {})['control'] == 'run'
    assert event_types(app, job['id']).count('paused') == 1 and 'resumed' in event_types(app, job['id'])


def test_cancel_reaches_the_script_which_ends_cancelled(app):
    job = open_run(app)
    cancelling = []
    thread = threading.Thread(target=lambda: cancelling.append(app.client.post(f"/api/jobs/{job['id']}/cancel")))
    thread.start()
    wait_until(lambda: app.job(job['id'])['status'] == 'cancelling')
    assert report(app, job['id'], {'current': 2}) == {'control': 'cancel', 'status': 'cancelling'}
    assert report(app, job['id'], {'done': True, 'cancelled': True}) == {'control': 'cancel', 'status': 'cancelled'}
    thread.join(10)
    assert cancelling[0].json()['status'] == 'cancelled'  # the API's cancel waited for it


def test_a_long_poll_answers_as_soon_as_pause_is_asked(app):
    job = open_run(app)
    answers = []
    started = time.monotonic()
    thread = threading.Thread(target=lambda: answers.append(report(app, job['id'], {}, wait=20)))
    thread.start()
    assert report(app, job['id'], [], wait=0.2)['control'] == 'run'  # nothing changes: the wait ends
    app.client.post(f"/api/jobs/{job['id']}/pause", timeout=30)
    thread.join(20)
    assert answers == [{'control': 'pause', 'status': 'running'}]
    assert time.monotonic() - started < 15  # well before its 20 s: when the pause was asked


def test_a_resume_key_goes_on_with_the_same_job_from_its_checkpoint(app):
    first = open_run(app, resume_key='nightly-42')
    report(app, first['id'], [{'current': 3, 'checkpoint': {'next': 3}}, {'done': True, 'exit_code': 1}])
    again = open_run(app, expect=200, resume_key='nightly-42', pid=5151)
    assert again['id'] == first['id'] and again['attempts'] == 2 and again['status'] == 'running'
    assert again['external']['resume_state'] == {'next': 3} and again['external']['pid'] == 5151
    assert again['error'] is None
    events = app.client.get(f"/api/jobs/{first['id']}/events").json()
    assert events[-1]['type'] == 'reattached'
    assert events[-1]['data'] == {'host': 'build-box', 'pid': 5151, 'attempt': 2}
    report(app, first['id'], {'done': True})
    other = open_run(app, resume_key='nightly-42')  # completed: the key starts a new run
    assert other['id'] != first['id'] and other['attempts'] == 1


def test_external_runs_are_not_retried_nor_submitted_nor_listed(app):
    job = open_run(app)
    report(app, job['id'], {'done': True, 'error': 'boom'})
    for action in ('retry', 'run-again'):
        response = app.client.post(f"/api/jobs/{job['id']}/{action}")
        assert response.status_code == 409 and 'started by its script' in response.json()['detail']
    response = app.client.post('/api/jobs', json={'kind': 'external', 'params': {}})
    assert response.status_code == 422 and 'use POST /api/runs' in response.json()['detail'][0]['msg']
    assert 'external' not in [k['name'] for k in app.client.get('/api/kinds').json()]
    demo = app.submit('demo', {'items': 1, 'item_seconds': 0})
    assert 'not an external run' in report(app, demo['id'], {}, expect=409)['detail']
    assert app.job(demo['id'])['external'] is None
    assert report(app, 10**9, {}, expect=404)


def test_a_removed_run_answers_404(app):
    job = open_run(app)
    assert app.client.delete(f"/api/jobs/{job['id']}").status_code == 204
    report(app, job['id'], {'current': 1}, expect=404)
