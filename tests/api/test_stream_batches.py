"""Batched progress on the all-jobs streams against the real app, and the `progress=single` opt-out."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator

import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect

from tests.api.test_streams import sse_events, ws_url


def job_messages(messages: Iterator[tuple[str, dict]], job_id: int) -> list[tuple[str, dict, float]]:
    """(type, the job's snapshot, receive time) for every message that carries `job_id`, until it completes."""
    seen = []
    for kind, data in messages:
        now = time.time()
        if kind == 'job_progress_batch':
            assert set(data) == {'type', 'at', 'jobs'} and data['at'] <= now
            seen += [(kind, job, now) for job in data['jobs'] if job['id'] == job_id]
        elif data.get('job', {}).get('id') == job_id:
            seen.append((kind, data['job'], now))
            if data['job']['status'] == 'completed':
                return seen
    raise AssertionError('the stream ended before the job completed')


def assert_in_order(seen: list[tuple[str, dict, float]]) -> None:
    """The job's snapshots never go back: no progress older than a state change already delivered."""
    progress = [job['progress'] for _kind, job, _at in seen]
    assert progress == sorted(progress), [(kind, job['progress'], job['status']) for kind, job, _at in seen]
    assert [kind for kind, *_ in seen].count('job_update') >= 3


def sse_messages(response) -> Iterator[tuple[str, dict]]:
    for event in sse_events(response):
        if event['event'] in ('job_progress', 'job_progress_batch'):
            assert event['id'] is None, 'progress has no id: Last-Event-ID is for the history'
        yield event['event'], event['data']


def ws_messages(ws: ClientConnection) -> Iterator[tuple[str, dict]]:
    while True:
        message = json.loads(ws.recv(timeout=20))
        yield message['type'], message


def follow_a_job(app, transport: str, query: str) -> list[tuple[str, dict, float]]:
    """What an all-jobs stream (`transport`: sse or ws) with `query` says about a job that runs ~1 s."""
    if transport == 'sse':
        with app.client.stream('GET', '/api/events/stream' + query, timeout=20) as response:
            job = app.submit('t_tick', {'ticks': 40, 'seconds': 0.01})
            return job_messages(sse_messages(response), job['id'])
    with connect(ws_url(app) + query) as ws:
        job = app.submit('t_tick', {'ticks': 40, 'seconds': 0.01})
        return job_messages(ws_messages(ws), job['id'])


@pytest.mark.parametrize(('transport', 'query', 'progress'), [
    ('sse', '', 'job_progress_batch'), ('sse', '?progress=batch', 'job_progress_batch'),
    ('sse', '?progress=single', 'job_progress'),
    ('ws', '', 'job_progress_batch'), ('ws', '?progress=single', 'job_progress')])
def test_all_jobs_streams_send_progress_as_asked_after_state_messages(app, transport, query, progress):
    seen = follow_a_job(app, transport, query)
    kinds = {kind for kind, *_ in seen}
    assert progress in kinds and kinds <= {progress, 'job_update'}, kinds
    assert_in_order(seen)


def test_websocket_progress_mode_can_change_by_message(app):
    with connect(ws_url(app)) as ws:
        ws.send(json.dumps({'type': 'subscribe_all', 'progress': 'single'}))
        reply = next(data for kind, data in ws_messages(ws) if kind == 'subscribed')
        assert reply == {'type': 'subscribed', 'job_id': None, 'progress': 'single'}
        job = app.submit('t_tick', {'ticks': 40, 'seconds': 0.01})
        kinds = {kind for kind, *_ in job_messages(ws_messages(ws), job['id'])}
        assert 'job_progress' in kinds and 'job_progress_batch' not in kinds, kinds
        ws.send(json.dumps({'type': 'subscribe_all'}))  # keeps the mode it has
        reply = next(data for kind, data in ws_messages(ws) if kind == 'subscribed')
        assert reply['progress'] == 'single'
        ws.send(json.dumps({'type': 'subscribe_all', 'progress': 'batch'}))
        reply = next(data for kind, data in ws_messages(ws) if kind == 'subscribed')
        assert reply['progress'] == 'batch'
        job = app.submit('t_tick', {'ticks': 40, 'seconds': 0.01})
        kinds = {kind for kind, *_ in job_messages(ws_messages(ws), job['id'])}
        assert 'job_progress_batch' in kinds and 'job_progress' not in kinds, kinds


def test_an_unknown_progress_mode_is_refused_clearly(app):
    response = app.client.get('/api/events/stream?progress=bulk')
    assert response.status_code == 422
    assert "'batch' or 'single'" in response.text
    with connect(ws_url(app) + '?progress=bulk') as ws:
        error = json.loads(ws.recv(timeout=10))
        assert error['type'] == 'error' and "'bulk'" in error['message'] and "'single'" in error['message']
        with pytest.raises(ConnectionClosed) as closed:
            ws.recv(timeout=10)
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 1008
    with connect(ws_url(app)) as ws:
        ws.send(json.dumps({'type': 'subscribe_all', 'progress': 'fast'}))
        error = next(data for kind, data in ws_messages(ws) if kind == 'error')
        assert "'fast'" in error['message']
        ws.send(json.dumps({'type': 'get_queue_stats'}))  # the connection stays open
        assert next(kind for kind, _ in ws_messages(ws) if kind == 'queue_stats')
