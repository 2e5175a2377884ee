"""Live streams: SSE per job and for all jobs (with Last-Event-ID replay), and a WebSocket.

Messages are `{"type": "job_update" | "job_progress" | "job_removed", "job": {…}, "event": {…} | null}`.
`job_update` carries a persisted history event whose global id is the SSE `id:`; a client that reconnects with
`Last-Event-ID` first gets the events it missed from the database, then live ones, with none twice.
`job_removed` follows a job's removal. Both are sent one by one, in order, never dropped.

Progress has no id. The all-jobs streams (`/api/events/stream`, `/api/ws`) send it batched by default: about ten
times a second one `{"type": "job_progress_batch", "at": <oldest change>, "jobs": [snapshot, …]}` frame with every
job that moved since the last one, after the state messages of that moment (so a frame never carries a snapshot
older than a state message already sent). A client that reads slowly gets the newer frame merged into the one it
has not read yet: it skips to the newest progress and nothing piles up. Clients that ask for `progress=single`
get `job_progress` messages, one per job (`at`: when its oldest unsent change came), within a budget shared by
those clients. The per-job streams (`/api/jobs/{id}/stream`, WebSocket `subscribe_job`) always send
`job_progress` messages: with one job, a batch would carry one snapshot anyway.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncGenerator
from typing import Annotated, Any, Literal, get_args

from fastapi import APIRouter, Header, Query, Request, WebSocket, WebSocketDisconnect
from fastapi.responses import StreamingResponse
from nicegui import run
from starlette.background import BackgroundTask

from progress_app.api.jobs import JobId, Service
from progress_app.domain.status import FINISHED_NAMES
from progress_app.runtime import Message, Subscription, encoded, to_json
from progress_app.runtime.service import JobService
from progress_app.security.auth import websocket_allowed

router = APIRouter(prefix='/api', tags=['streams'])
KEEPALIVE_SECONDS = 15.0
DISCONNECT_CHECK_SECONDS = 1.0
BATCH = 500  # messages already queued for a client go out in one write
SSE_HEADERS = {'Cache-Control': 'no-cache', 'X-Accel-Buffering': 'no'}
ProgressMode = Literal['batch', 'single']
PROGRESS_MODES: tuple[str, ...] = get_args(ProgressMode)
PROGRESS_HELP = ('How the all-jobs stream sends progress: `batch` (default), one `job_progress_batch` frame about '
                 'ten times a second with every job that moved; `single`, one `job_progress` message per job '
                 '(the format before batching).')


def sse(message: Message) -> str:
    """`message` as one server-sent event (encoded once per published message)."""
    return encoded(message, _sse)


def _sse(message: Message) -> str:
    event_id = f"id: {message['event']['id']}\n" if message.get('event') and message['type'] == 'job_update' else ''
    return f"{event_id}event: {message['type']}\ndata: {to_json(message)}\n\n"


def event_stream(events: AsyncGenerator[str, None], sub: Subscription) -> StreamingResponse:
    """The SSE response of `events`, which ends `sub` however the stream ends. When the client goes away in the
    middle of a write, Starlette stops reading `events` without closing it, so its `finally` would wait for the
    garbage collector; meanwhile the subscription went on filling (measured: 25 of 50 closed clients' streams
    still open 10 s later)."""
    async def end() -> None:
        sub.close()
        await events.aclose()

    return StreamingResponse(events, media_type='text/event-stream', headers=SSE_HEADERS,
                             background=BackgroundTask(end))


async def _next(sub: Subscription, timeout: float = KEEPALIVE_SECONDS) -> Message | None:
    """The next message, or None after `timeout` seconds without one or once `sub` is closed (the app stops)."""
    try:
        return await asyncio.wait_for(sub.get(), timeout)
    except (TimeoutError, StopAsyncIteration):
        return None


@router.get('/jobs/{job_id}/stream', response_class=StreamingResponse, responses={
    200: {'description': 'text/event-stream: `snapshot`, then `job_update`/`job_progress` (one job: progress is '
                         'never batched), then `end`',
          'content': {'text/event-stream': {}}}, 404: {'description': 'No such job'}})
async def job_stream(job_id: JobId, service: Service) -> StreamingResponse:
    """SSE of one job: its current snapshot, every change (≤ ~10/s), a final `end` event, then the stream closes."""
    sub = service.subscribe(maxsize=200, job_id=job_id)
    try:
        snapshot = await run.io_bound(service.get, job_id)
    except BaseException:
        sub.close()
        raise

    async def events() -> AsyncGenerator[str, None]:
        try:
            yield sse({'type': 'snapshot', 'job': snapshot, 'event': None})
            if snapshot['status'] in FINISHED_NAMES:
                yield sse({'type': 'end', 'job': snapshot, 'event': None})
                return
            while True:
                message = await _next(sub)
                if sub.closed and message is None:
                    return
                if message is None:
                    yield ': keep-alive\n\n'
                    continue
                yield sse(message)
                if message['type'] == 'job_removed' or message['job']['status'] in FINISHED_NAMES:
                    yield sse({'type': 'end', 'job': message['job'], 'event': None})
                    return
        finally:
            sub.close()

    return event_stream(events(), sub)


@router.get('/events/stream', response_class=StreamingResponse, responses={
    200: {'description': 'text/event-stream of every job\'s events: `job_update` (with an `id:`, for '
                         '`Last-Event-ID`) and `job_removed`, in order; progress as `job_progress_batch` frames '
                         '`{"type", "at", "jobs": [job, …]}` (default), or as `job_progress` messages with '
                         '`?progress=single`',
          'content': {'text/event-stream': {}}},
    422: {'description': 'A `progress` other than `batch` or `single`'}})
async def all_events(service: Service, request: Request,
                     last_event_id: Annotated[str | None, Header(alias='Last-Event-ID')] = None,
                     progress: Annotated[ProgressMode, Query(description=PROGRESS_HELP)] = 'batch',
                     ) -> StreamingResponse:
    """SSE of all jobs. Reconnect with `Last-Event-ID` to get what you missed (from the history) before live events.
    Progress comes batched: one `job_progress_batch` frame per tick with every job that moved (a slow reader skips
    to the newest); `?progress=single` keeps one `job_progress` message per job."""
    sub = service.subscribe(maxsize=2000, batch=progress == 'batch')
    after = int(last_event_id) if last_event_id and last_event_id.isdigit() else None
    missed = await run.io_bound(replay, service, after) if after is not None else []

    async def events() -> AsyncGenerator[str, None]:
        replayed = {message['event']['id'] for message in missed}
        try:
            for message in missed:
                yield sse(message)
            looked = sent = time.monotonic()
            while True:
                # Behind NiceGUI's BaseHTTPMiddlewares a disconnect does not always reach StreamingResponse, so look
                # now and then (not per batch: it spawns a task through every middleware, 14 % of the loop's time).
                message = await _next(sub, DISCONNECT_CHECK_SECONDS)
                if sub.closed and message is None:
                    return
                now = time.monotonic()
                if now - looked >= DISCONNECT_CHECK_SECONDS:
                    if await request.is_disconnected():
                        return
                    looked = now
                if message is None:
                    if now - sent >= KEEPALIVE_SECONDS:
                        yield ': keep-alive\n\n'
                        sent = now
                    continue
                sent = now
                # Skip what was stored before we read the history and published after we subscribed: sent once.
                text = ''.join(sse(m) for m in (message, *sub.drain(BATCH))
                               if not (replayed and m.get('event') and m['event']['id'] in replayed))
                if text:
                    yield text
        finally:
            sub.close()

    return event_stream(events(), sub)


def replay(service: JobService, after: int) -> list[Message]:
    """History events after `after`, as stream messages (the job as it is now, the event as it was)."""
    messages, snapshots = [], {}
    for event in service.events_after(after):  # everything published so far included
        job_id = event['job_id']
        if job_id not in snapshots:
            try:
                snapshots[job_id] = service.get(job_id)
            except Exception:
                snapshots[job_id] = {'id': job_id}
        messages.append({'type': 'job_update', 'job': snapshots[job_id], 'event': event})
    return messages


@router.websocket('/ws')
async def websocket(ws: WebSocket) -> None:
    """All jobs' live events as JSON, progress in `job_progress_batch` frames (`/api/ws?progress=single`: one
    `job_progress` message per job). Send `{"type": "subscribe_job", "job_id": N}` to follow one job only (its
    `job_progress` messages), `{"type": "subscribe_all"}` (optionally with `"progress": "batch" | "single"`),
    `{"type": "get_queue_stats"}` or `{"type": "get_active_jobs"}`. A bad `progress` in the URL gets an `error`
    message, then the socket closes (1008)."""
    service: JobService = ws.app.state.service
    if not await websocket_allowed(ws, ws.app.state.auth):  # HTTP middleware does not guard WebSocket routes
        return
    await ws.accept()
    progress = ws.query_params.get('progress', 'batch')
    if progress not in PROGRESS_MODES:
        await ws.send_json({'type': 'error', 'message': _bad_mode(progress)})
        await ws.close(code=1008, reason='bad progress mode')
        return
    sub = service.subscribe(maxsize=2000, batch=progress == 'batch')
    lock = asyncio.Lock()  # replies and live events share the socket
    sender = asyncio.create_task(_send_all(ws, sub, lock))
    try:
        while True:
            try:
                raw = await ws.receive_text()
            except WebSocketDisconnect:
                break
            reply = await _answer(service, sub, raw)
            async with lock:
                await ws.send_json(reply)
    finally:
        sub.close()
        sender.cancel()


async def _send_all(ws: WebSocket, sub: Subscription, lock: asyncio.Lock) -> None:
    try:
        async for message in sub:
            async with lock:  # what is queued goes out together, without taking the lock per message
                for queued in (message, *sub.drain(BATCH)):
                    await ws.send_text(to_json(queued))
    except (WebSocketDisconnect, RuntimeError):
        pass


async def _answer(service: JobService, sub: Subscription, raw: str) -> dict[str, Any]:
    try:
        message = json.loads(raw)
    except ValueError:
        return {'type': 'error', 'message': 'messages must be JSON objects'}
    kind = message.get('type') if isinstance(message, dict) else None
    if kind == 'subscribe_job':
        job_id = message.get('job_id')
        if not isinstance(job_id, int) or isinstance(job_id, bool):
            return {'type': 'error', 'message': "subscribe_job needs an integer 'job_id'"}
        try:
            job = await run.io_bound(service.get, job_id)
        except Exception as exc:
            return {'type': 'error', 'message': str(exc)}
        sub.follow(job_id)
        return {'type': 'subscribed', 'job_id': job_id, 'job': job}
    if kind == 'subscribe_all':
        progress = message.get('progress', 'batch' if sub.batch else 'single')
        if progress not in PROGRESS_MODES:
            return {'type': 'error', 'message': _bad_mode(progress)}
        sub.batch = progress == 'batch'
        sub.follow(None)
        return {'type': 'subscribed', 'job_id': None, 'progress': progress}
    if kind == 'get_queue_stats':
        return {'type': 'queue_stats', 'stats': await run.io_bound(service.stats)}
    if kind == 'get_active_jobs':
        listing = await run.io_bound(service.list, status=['queued', 'running', 'paused', 'scheduled'], limit=1000)
        return {'type': 'active_jobs', 'jobs': listing['items']}
    known = 'subscribe_job, subscribe_all, get_queue_stats, get_active_jobs'
    return {'type': 'error', 'message': f'unknown message type {kind!r}; known types: {known}'}


def _bad_mode(progress: object) -> str:
    return f"unknown progress mode {progress!r}: use 'batch' (the default, job_progress_batch frames) or 'single'"
