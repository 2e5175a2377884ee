"""Job actions, history, log and downloads against the real app."""

from __future__ import annotations

import io
import sys
import zipfile

import pytest

from tests.helpers import wait_until

pytestmark = pytest.mark.databases


def status_of(app, job_id: int) -> str:
    return app.job(job_id)['status']


def test_pause_resume_cancel_and_conflicts(app):
    job = app.submit('t_tick', {'ticks': 500, 'seconds': 0.01})
    wait_until(lambda: app.job(job['id'])['current'] > 3)
    paused = app.client.post(f"/api/jobs/{job['id']}/pause")
    assert paused.status_code == 200 and paused.json()['status'] == 'paused'
    again = app.client.post(f"/api/jobs/{job['id']}/pause")
    assert again.status_code == 409
    assert again.json()['detail'] == 'cannot pause a job that is paused: it is paused'
    resumed = app.client.post(f"/api/jobs/{job['id']}/resume")
    assert resumed.status_code == 200 and resumed.json()['status'] == 'running'
    cancelled = app.client.post(f"/api/jobs/{job['id']}/cancel")
    assert cancelled.status_code == 200 and cancelled.json()['status'] == 'cancelled'
    assert app.client.post(f"/api/jobs/{job['id']}/resume").status_code == 409
    retried = app.client.post(f"/api/jobs/{job['id']}/retry")
    assert retried.status_code == 200 and retried.json()['status'] in ('queued', 'running')
    app.client.post(f"/api/jobs/{job['id']}/cancel")


def test_actions_on_unknown_job_are_404(app):
    for action in ('pause', 'resume', 'cancel', 'retry'):
        response = app.client.post(f'/api/jobs/424242/{action}')
        assert response.status_code == 404 and 'does not exist' in response.json()['detail']
    assert app.client.delete('/api/jobs/424242').status_code == 404


def test_delete_then_404(app):
    job = app.submit('demo', {'items': 2, 'item_seconds': 0})
    wait_until(lambda: status_of(app, job['id']) == 'completed')
    assert app.client.delete(f"/api/jobs/{job['id']}").status_code == 204
    assert app.client.get(f"/api/jobs/{job['id']}").status_code == 404
    assert app.client.get(f"/api/jobs/{job['id']}/events").status_code == 404


def test_events_since_in_order(app):
    job = app.submit('demo', {'items': 3, 'item_seconds': 0})
    wait_until(lambda: status_of(app, job['id']) == 'completed')
    events = app.client.get(f"/api/jobs/{job['id']}/events").json()
    seqs = [e['seq'] for e in events]
    assert seqs == list(range(1, len(events) + 1))
    assert events[0]['type'] == 'created' and events[-1]['type'] == 'completed'
    later = app.client.get(f"/api/jobs/{job['id']}/events", params={'since': 3}).json()
    assert [e['seq'] for e in later] == seqs[3:]


def test_log_offset_tails_incrementally(app):
    job = app.submit('command', {'command': 'for i in 1 2 3; do echo line$i; done', 'shell': True})
    wait_until(lambda: status_of(app, job['id']) == 'completed')
    first = app.client.get(f"/api/jobs/{job['id']}/log")
    assert 'line1\nline2\nline3' in first.text
    offset = int(first.headers['X-Next-Offset'])
    assert offset == len(first.text.encode())
    rest = app.client.get(f"/api/jobs/{job['id']}/log", params={'offset': offset})
    assert rest.text == '' and rest.headers['X-Next-Offset'] == str(offset)


def test_a_long_log_can_be_read_from_its_tail_and_downloaded_whole(app):
    script = "import sys\nfor i in range(40000): print(f'line {i:05} ' + 'x' * 40)"  # ~2 MB: over 1 MiB a read
    job = app.submit('command', {'command': [sys.executable, '-c', script]})
    wait_until(lambda: status_of(app, job['id']) == 'completed')
    whole = app.client.get(f"/api/jobs/{job['id']}/log", params={'download': 'true'})
    assert whole.status_code == 200 and 'job-' in whole.headers['content-disposition']
    lines = whole.text.splitlines()
    assert [line for line in lines if line.startswith('line ')] == [f'line {i:05} ' + 'x' * 40 for i in range(40000)]
    assert len(whole.content) > 2_000_000
    tail = app.client.get(f"/api/jobs/{job['id']}/log", params={'tail': 1000})
    assert 0 < len(tail.content) <= 1000
    assert tail.text.endswith(lines[-1] + '\n') and whole.text.endswith(tail.text)
    assert tail.text.split('\n')[0] in lines  # starts at a whole line
    assert tail.headers['X-Next-Offset'] == str(len(whole.content))
    bad = app.client.get(f"/api/jobs/{job['id']}/log", params={'tail': 0})
    assert bad.status_code == 422 and 'tail' in bad.text


def test_the_download_of_a_running_jobs_log_is_what_it_was_when_asked(app):
    script = ("import sys, time\nfor i in range(100000):\n    print('x' * 100)\n"
              "    if i % 2000 == 0: time.sleep(0.01)")
    job = app.submit('command', {'command': [sys.executable, '-c', script]})
    wait_until(lambda: int(app.client.get(f"/api/jobs/{job['id']}/log", params={'tail': 10}
                                          ).headers['X-Next-Offset']) > 500_000)
    # uncompressed, so with a Content-Length, which a file that grows while it is sent must not outrun
    growing = app.client.get(f"/api/jobs/{job['id']}/log", params={'download': 'true'},
                             headers={'Accept-Encoding': 'identity'})
    assert growing.status_code == 200
    assert len(growing.content) == int(growing.headers['content-length']) > 500_000
    wait_until(lambda: status_of(app, job['id']) == 'completed')
    final = app.client.get(f"/api/jobs/{job['id']}/log", params={'download': 'true'}).content
    assert len(final) > len(growing.content) and final.startswith(growing.content)


def test_a_job_that_wrote_nothing_downloads_an_empty_log(app):
    job = app.submit('command', {'command': 'true', 'shell': True})
    wait_until(lambda: status_of(app, job['id']) == 'completed')
    empty = app.client.get(f"/api/jobs/{job['id']}/log", params={'download': 'true'})
    assert empty.status_code == 200 and empty.content == b'' and 'attachment' in empty.headers['content-disposition']
    assert app.client.get('/api/jobs/9999/log', params={'download': 'true'}).status_code == 404


def test_result_single_file_and_zip(app):
    one = app.submit('t_write_files', {'count': 1, 'size': 10})
    many = app.submit('t_write_files', {'count': 3, 'size': 50})
    running = app.submit('t_tick', {'ticks': 1000})
    for job in (one, many):
        wait_until(lambda job=job: status_of(app, job['id']) == 'completed')
    single = app.client.get(f"/api/jobs/{one['id']}/result")
    assert single.status_code == 200
    assert single.content == b'A' * 10
    assert 'part-0.txt' in single.headers['content-disposition']
    archive = app.client.get(f"/api/jobs/{many['id']}/result")
    assert archive.headers['content-type'] == 'application/zip'
    names = zipfile.ZipFile(io.BytesIO(archive.content)).namelist()
    assert sorted(names) == ['part-0.txt', 'part-1.txt', 'part-2.txt']
    assert app.job(many['id'])['has_output'] is True
    not_yet = app.client.get(f"/api/jobs/{running['id']}/result")
    assert not_yet.status_code == 409 and 'no result yet' in not_yet.json()['detail']
    app.client.post(f"/api/jobs/{running['id']}/cancel")


def test_queue_stats(app):
    stats = app.client.get('/api/queue/stats').json()
    assert set(stats) == {'scheduled', 'queued', 'running', 'paused', 'cancelling', 'completed', 'failed',
                          'cancelled', 'total_processed'}
    assert stats['total_processed'] == stats['completed'] + stats['failed'] + stats['cancelled']
    listing = app.client.get('/api/jobs', params={'status': 'completed', 'limit': 1}).json()
    assert stats['completed'] == listing['total']


def test_retry_and_resume_refuse_jobs_that_have_not_ended(app):
    job = app.submit('t_tick', {'ticks': 1000})
    wait_until(lambda: status_of(app, job['id']) == 'running')
    retry = app.client.post(f"/api/jobs/{job['id']}/retry")
    assert retry.status_code == 409 and 'it has not ended' in retry.json()['detail']
    resume = app.client.post(f"/api/jobs/{job['id']}/resume")
    assert resume.status_code == 409 and 'it is not paused' in resume.json()['detail']
    app.client.post(f"/api/jobs/{job['id']}/cancel")


def test_run_again_makes_a_new_job_like_the_old_one(app, tmp_path):
    old = app.submit('demo', {'items': 3, 'item_seconds': 0}, name='nightly', priority=5)
    wait_until(lambda: status_of(app, old['id']) == 'completed')
    again = app.client.post(f"/api/jobs/{old['id']}/run-again")
    assert again.status_code == 201
    new = again.json()
    assert new['id'] != old['id'] and (new['name'], new['kind'], new['priority']) == ('nightly', 'demo', 5)
    assert new['params'] == app.job(old['id'])['params']
    wait_until(lambda: status_of(app, new['id']) == 'completed')
    assert status_of(app, old['id']) == 'completed' and app.job(old['id'])['attempts'] == 1  # left as it was
    folder = tmp_path / 'gone'
    folder.mkdir()
    (folder / 'a.txt').write_text('x')
    batch = app.submit('batch', {'source': str(folder), 'operation': 'checksum'})
    wait_until(lambda: status_of(app, batch['id']) == 'completed')
    (folder / 'a.txt').unlink()
    folder.rmdir()
    refused = app.client.post(f"/api/jobs/{batch['id']}/run-again")
    assert refused.status_code == 422 and 'does not exist' in refused.text
    assert app.client.post('/api/jobs/9999/run-again').status_code == 404


def test_cancel_of_a_job_that_never_reaches_a_check_point_answers_cancelling(app, tmp_path):
    release = tmp_path / 'release'
    stuck = app.submit('t_stuck', {'release': str(release)})
    wait_until(lambda: status_of(app, stuck['id']) == 'running')
    cancelled = app.client.post(f"/api/jobs/{stuck['id']}/cancel")
    assert cancelled.status_code == 200
    body = cancelled.json()
    assert body['status'] == 'cancelling' and body['cancel_requested_at'] and body['cancel_waiting_seconds'] >= 0
    assert wait_until(lambda: app.job(stuck['id'])['cancel_waiting_seconds'] > body['cancel_waiting_seconds'])
    assert app.client.get('/api/queue/stats').json()['cancelling'] >= 1
    assert [j['id'] for j in app.client.get('/api/jobs', params={'status': 'cancelling'}).json()['items']] == [
        stuck['id']]
    paused = app.client.post(f"/api/jobs/{stuck['id']}/pause")
    assert paused.status_code == 409 and 'it is being cancelled: it stops at its next check point' in paused.text
    release.touch()
    wait_until(lambda: status_of(app, stuck['id']) == 'completed')
