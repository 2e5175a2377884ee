"""SSE and WebSocket streams against the real app: real clients, real sockets."""

from __future__ import annotations

import contextlib
import json
import socket
import statistics
import threading
import time
from collections.abc import Iterator

import httpx
import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from tests.helpers import wait_until


def sse_events(response: httpx.Response) -> Iterator[dict]:
    """Parse a text/event-stream into {'id', 'event', 'data'} dicts (comments skipped)."""
    fields: dict = {}
    for line in response.iter_lines():
        if not line:
            if 'data' in fields:
                yield {'id': fields.get('id'), 'event': fields.get('event'), 'data': json.loads(fields['data'])}
            fields = {}
        elif not line.startswith(':'):
            name, _, value = line.partition(':')
            fields[name] = value.removeprefix(' ')


def ws_url(app) -> str:
    return f'ws://127.0.0.1:{app.port}/api/ws'


def test_job_stream_snapshot_changes_end(app):
    job = app.submit('t_tick', {'ticks': 30, 'seconds': 0.01})
    seen = []
    with app.client.stream('GET', f"/api/jobs/{job['id']}/stream", timeout=20) as response:
        assert response.headers['content-type'].startswith('text/event-stream')
        seen.extend(sse_events(response))  # the server closes the stream when the job ends
    assert seen[0]['event'] == 'snapshot' and seen[0]['data']['job']['id'] == job['id']
    assert seen[-1]['event'] == 'end' and seen[-1]['data']['job']['status'] == 'completed'
    progress = [e['data']['job']['progress'] for e in seen if e['event'] == 'job_progress']
    assert len(progress) >= 3 and progress == sorted(progress)
    assert {e['event'] for e in seen} >= {'snapshot', 'job_update', 'job_progress', 'end'}


def test_job_stream_of_finished_job_ends_at_once_and_unknown_is_404(app):
    job = app.submit('demo', {'items': 1, 'item_seconds': 0})
    wait_until(lambda: app.job(job['id'])['status'] == 'completed')
    with app.client.stream('GET', f"/api/jobs/{job['id']}/stream") as response:
        assert [e['event'] for e in sse_events(response)] == ['snapshot', 'end']
    assert app.client.get('/api/jobs/555555/stream').status_code == 404


def test_progress_is_coalesced_to_about_ten_per_second(app):
    job = app.submit('t_tick', {'ticks': 2000, 'seconds': 0})  # thousands of advances per second
    with app.client.stream('GET', f"/api/jobs/{job['id']}/stream", timeout=20) as response:
        events = list(sse_events(response))
    run = [e for e in events if e['event'] == 'job_progress']
    seconds = app.job(job['id'])['elapsed_seconds']
    assert len(run) <= 12 * seconds + 3, (len(run), seconds)


def test_global_stream_reconnect_with_last_event_id_gets_every_event_once(app):
    first: list[dict] = []
    with app.client.stream('GET', '/api/events/stream', timeout=20) as response:
        job = app.submit('t_tick', {'ticks': 150, 'seconds': 0.02})  # subscribed first, so we see it all
        for event in sse_events(response):
            if event['id'] and event['data']['job']['id'] == job['id']:
                first.append(event)
            if len(first) >= 4:
                break
    last_id = first[-1]['id']
    # While we are away the job goes on and writes history we have not seen.
    wait_until(lambda: app.job(job['id'])['current'] >= 20 or app.job(job['id'])['stage'] == 'two')
    second: list[dict] = []
    with app.client.stream('GET', '/api/events/stream', headers={'Last-Event-ID': last_id}, timeout=20) as response:
        for event in sse_events(response):
            if event['id'] and event['data']['job']['id'] == job['id']:
                second.append(event)
                if event['data']['event']['type'] == 'completed':
                    break
    received = [int(e['id']) for e in first + second]
    stored = [e['id'] for e in app.client.get(f"/api/jobs/{job['id']}/events").json()]
    assert len(received) == len(set(received)), 'an event arrived twice'
    assert sorted(received) == sorted(stored), 'an event is missing'
    assert any(e['data']['event']['type'] == 'progress' for e in second)


def test_websocket_subscriptions_are_separate(app):
    with connect(ws_url(app)) as a, connect(ws_url(app)) as b:
        x = app.submit('t_tick', {'ticks': 20, 'seconds': 0.01})
        y = app.submit('t_tick', {'ticks': 20, 'seconds': 0.01})
        a.send(json.dumps({'type': 'subscribe_job', 'job_id': x['id']}))
        b.send(json.dumps({'type': 'subscribe_job', 'job_id': y['id']}))
        for ws, mine in ((a, x['id']), (b, y['id'])):
            ids, kinds, subscribed = set(), set(), False
            while True:
                message = json.loads(ws.recv(timeout=10))
                if message['type'] == 'subscribed':
                    assert message['job']['id'] == mine
                    subscribed = True
                    continue
                if not subscribed:  # what came before the subscription was for all jobs
                    continue
                ids.add(message['job']['id'])
                kinds.add(message['type'])
                if message['job']['id'] == mine and message['job']['status'] == 'completed':
                    break
            assert ids == {mine}
            assert 'job_progress' in kinds, 'one job: progress one message at a time, never batched'


def test_websocket_errors_keep_the_connection_open(app):
    with connect(ws_url(app)) as ws:
        def ask(payload: str) -> dict:
            ws.send(payload)
            while True:
                message = json.loads(ws.recv(timeout=10))
                if message['type'] not in ('job_update', 'job_progress', 'job_progress_batch', 'job_removed'):
                    return message

        assert ask('not json') == {'type': 'error', 'message': 'messages must be JSON objects'}
        assert 'unknown message type' in ask('{"type": "dance"}')['message']
        assert 'integer' in ask('{"type": "subscribe_job", "job_id": "x"}')['message']
        assert 'does not exist' in ask('{"type": "subscribe_job", "job_id": 99999}')['message']
        stats = ask('{"type": "get_queue_stats"}')
        assert stats['type'] == 'queue_stats' and 'running' in stats['stats']
        job = app.submit('t_tick', {'ticks': 1000})
        wait_until(lambda: app.job(job['id'])['status'] == 'running')
        active = ask('{"type": "get_active_jobs"}')
        assert job['id'] in [j['id'] for j in active['jobs']]
        app.client.post(f"/api/jobs/{job['id']}/cancel")


def listen_while_flooding(app, stalled=None) -> list[float]:
    """Delays (event creation → arrival) seen by a healthy WebSocket client while 8 busy jobs run."""
    delays: list[float] = []
    stop = threading.Event()

    def listen() -> None:
        with connect(ws_url(app)) as ws:
            while not stop.is_set():
                try:
                    message = json.loads(ws.recv(timeout=0.5))
                except TimeoutError:
                    continue
                if message['type'] == 'job_update' and message.get('event'):
                    delays.append(time.time() - message['event']['at'])

    def flood() -> None:  # big replies the stalled client never reads: the server's sends to it back up
        with contextlib.suppress(ConnectionClosed, OSError):
            for _ in range(300):
                if stop.is_set():
                    return
                stalled.send('{"type": "get_active_jobs"}')

    listener = threading.Thread(target=listen, daemon=True)
    listener.start()
    flooder = threading.Thread(target=flood, daemon=True)
    try:
        jobs = [app.submit('t_tick', {'ticks': 200, 'seconds': 0.001}) for _ in range(8)]
        if stalled is not None:
            flooder.start()
        for job in jobs:
            wait_until(lambda job=job: app.job(job['id'])['status'] == 'completed', timeout=60)
    finally:
        stop.set()
        listener.join(5)
    assert len(delays) > 40
    return delays


def test_a_stalled_client_does_not_delay_another(app):
    alone = listen_while_flooding(app)
    # The stalled client has a tiny receive buffer and never reads, so the server's sends to it back up at once.
    stalled_sock = socket.socket()
    stalled_sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 2048)
    stalled_sock.connect(('127.0.0.1', app.port))
    with connect(ws_url(app), sock=stalled_sock) as stalled:
        try:
            beside = listen_while_flooding(app, stalled)
        finally:
            stalled.close_socket()
    p90 = statistics.quantiles(alone, n=10)[8], statistics.quantiles(beside, n=10)[8]
    # What the stalled client adds stays within 100 ms (on a busy machine the baseline itself may be higher);
    # a loop blocked by it would add seconds.
    assert p90[1] - p90[0] < 0.1, (p90, sorted(beside)[-5:])
    assert max(beside) < max(alone) + 1.0


def open_subscriptions(app) -> int:
    job = app.submit('t_subscribers', {})
    wait_until(lambda: app.job(job['id'])['status'] == 'completed')
    return app.job(job['id'])['result']


def test_a_client_that_goes_away_leaves_no_subscription_behind(app):
    job = app.submit('t_tick', {'ticks': 500, 'seconds': 0.01})
    before = open_subscriptions(app)
    for path in ('/api/events/stream', f"/api/jobs/{job['id']}/stream"):
        for _ in range(3):
            with app.client.stream('GET', path, timeout=10) as response:
                next(sse_events(response))  # connected and streaming; then the client hangs up
    with connect(ws_url(app)) as ws:
        ws.recv()
    wait_until(lambda: open_subscriptions(app) == before, timeout=10)
    app.client.post(f"/api/jobs/{job['id']}/cancel")
    wait_until(lambda: app.job(job['id'])['status'] == 'cancelled')
    for _ in range(3):  # nothing happens: the server finds out without a message to send
        with app.client.stream('GET', '/api/events/stream', timeout=10) as response:
            assert response.status_code == 200
    wait_until(lambda: open_subscriptions(app) == before, timeout=5)


@pytest.mark.parametrize('path', ['/api/jobs/1/stream', '/api/events/stream'])
def test_streams_are_event_streams(app, path):
    with app.client.stream('GET', path, timeout=5) as response:
        assert response.status_code in (200, 404)
        if response.status_code == 200:
            assert response.headers['content-type'].startswith('text/event-stream')
