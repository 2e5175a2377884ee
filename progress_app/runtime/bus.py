"""The event bus: fan-out of job updates from worker threads to subscribers on the event loop.

Publishing never blocks a job: it appends under a short lock and schedules one flush on the loop per batch.
Progress is coalesced per job (only the newest snapshot is delivered); state events are delivered in order.
Each subscriber has a bounded queue: when a slow client falls behind, its queued intermediate progress is
dropped, its state events are kept, and other subscribers are not affected.

A `job_progress` message also carries `at`: the wall-clock time (as `event.at`) of the oldest change it reports,
so a client can tell how old a snapshot is. `to_json()` encodes a published message once for all subscribers.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections import deque
from collections.abc import AsyncIterator, Callable, Iterable
from typing import TYPE_CHECKING, Any

from progress_app.runtime.heartbeat import LoopHeartbeat

if TYPE_CHECKING:
    from progress_app.domain.events import Event
    from progress_app.runtime.job import Job

Message = dict[str, Any]
Slot = list[Message | None]
"""One place in a subscriber's queue: `[message]`, or `[None]` once the message was dropped."""


class _Shared(dict[str, Any]):
    """A published message: the same object goes to every subscriber, so its JSON is worth keeping."""

    __slots__ = ('json',)


def to_json(message: Message) -> str:
    """`message` as compact JSON; a message from the bus is encoded once, however many subscribers send it."""
    if type(message) is _Shared:
        text = getattr(message, 'json', None)
        if text is None:
            text = message.json = json.dumps(message, separators=(',', ':'))
        return text
    return json.dumps(message, separators=(',', ':'))


class Subscription:
    """A subscriber's bounded queue. Every operation is O(1) (a change of filter rebuilds it).

    A job's queued progress is replaced in place by a newer snapshot, so the job keeps its turn: a client that
    reads more slowly than progress arrives still gets every job's newest snapshot in turn, instead of the same
    few jobs again and again. Once a state event of the job is queued, its next progress goes after that event.
    """

    def __init__(self, bus: EventBus, accept: Callable[[Message], bool] | None, maxsize: int) -> None:
        self._bus = bus
        self.accept = accept
        self._maxsize = maxsize
        self._queue: deque[Slot] = deque()
        self._progress: deque[Slot] = deque()  # the queued progress slots, oldest first: the first to drop
        self._latest: dict[int, Slot] = {}  # job id → its queued progress slot that a newer snapshot replaces
        self._size = 0  # messages queued (dropped slots do not count)
        self._ready = asyncio.Event()
        self.dropped = 0
        self.closed = False

    def set_filter(self, accept: Callable[[Message], bool] | None) -> None:
        """Change what this subscriber receives; queued messages that no longer match are dropped."""
        self.accept = accept
        if accept is not None:
            queued = [slot[0] for slot in self._queue if slot[0] is not None]
            self._queue, self._progress, self._latest, self._size = deque(), deque(), {}, 0
            self._add(queued)

    def put(self, message: Message) -> None:
        self.put_all((message,))

    def put_all(self, messages: Iterable[Message]) -> None:
        if self._add(messages):
            self._ready.set()

    def _add(self, messages: Iterable[Message]) -> bool:
        accept, queue, latest = self.accept, self._queue, self._latest
        added = False
        for message in messages:
            if accept is not None and not accept(message):
                continue
            job = message.get('job')
            if message['type'] == 'job_progress':
                slot = latest.get(job['id'])
                if slot is not None:  # the newest snapshot takes the place of the queued one
                    slot[0] = message
                    self.dropped += 1
                    continue
                slot = latest[job['id']] = [message]
                self._progress.append(slot)
            else:
                if job:
                    latest.pop(job['id'], None)  # the job's next progress must follow this event
                slot = [message]
            queue.append(slot)
            self._size += 1
            added = True
            if self._size > self._maxsize:
                self._drop_one()
        return added

    def _drop_one(self) -> None:
        """Drop the oldest queued progress, or the oldest message when no progress is queued."""
        if self._progress:
            slot = self._progress.popleft()
            job_id = slot[0]['job']['id'] if slot[0] is not None else None
            if self._latest.get(job_id) is slot:
                del self._latest[job_id]
        else:
            while self._queue[0][0] is None:
                self._queue.popleft()
            slot = self._queue.popleft()
        slot[0] = None
        self._size -= 1
        self.dropped += 1

    async def get(self) -> Message:
        while True:
            message = self._pop()
            if message is not None:
                return message
            if self.closed:
                raise StopAsyncIteration
            self._ready.clear()
            await self._ready.wait()

    def drain(self, limit: int) -> list[Message]:
        """Up to `limit` messages that are queued now, without waiting (to send them together)."""
        messages = []
        while len(messages) < limit and (message := self._pop()) is not None:
            messages.append(message)
        return messages

    def _pop(self) -> Message | None:
        queue = self._queue
        while queue:
            slot = queue.popleft()
            message = slot[0]
            if message is None:
                continue
            self._size -= 1
            if message['type'] == 'job_progress':
                self._progress.popleft()  # the oldest queued progress is this one
                if self._latest.get(message['job']['id']) is slot:
                    del self._latest[message['job']['id']]
            return message
        return None

    def __aiter__(self) -> AsyncIterator[Message]:
        return self

    async def __anext__(self) -> Message:
        return await self.get()

    def close(self) -> None:
        self.closed = True
        self._ready.set()
        self._bus.unsubscribe(self)


class EventBus:
    def __init__(self) -> None:
        self._loop: asyncio.AbstractEventLoop | None = None
        self._lock = threading.Lock()
        self._state: list[tuple[Job, Event | None, str]] = []
        self._progress: dict[int, tuple[Job, float]] = {}  # job id → (job, when its oldest unsent change came)
        self._scheduled = False
        self._subscribers: set[Subscription] = set()
        self.delivered = 0
        self.heartbeat = LoopHeartbeat()

    def attach(self, loop: asyncio.AbstractEventLoop) -> None:
        """Call on the loop."""
        self._loop = loop
        self.heartbeat.start(loop)

    def detach(self) -> None:
        self.heartbeat.stop()
        self._loop = None

    def subscribe(self, accept: Callable[[Message], bool] | None = None, maxsize: int = 1000) -> Subscription:
        """Call on the event loop; iterate the result with `async for`."""
        sub = Subscription(self, accept, maxsize)
        self._subscribers.add(sub)
        return sub

    def unsubscribe(self, sub: Subscription) -> None:
        self._subscribers.discard(sub)

    @property
    def has_subscribers(self) -> bool:
        return bool(self._subscribers)

    def publish_state(self, job: Job, event: Event | None, type: str = 'job_update') -> None:
        """A status/stage change (or removal): always delivered, in order."""
        if self._loop is None or not self._subscribers:
            return
        with self._lock:
            self._state.append((job, event, type))
            self._progress.pop(job.id, None)
            self._schedule()

    def publish_progress(self, job: Job) -> None:
        """New counters for a job: coalesced, only the newest is delivered."""
        if self._loop is None or not self._subscribers:
            return
        with self._lock:
            if job.id not in self._progress:
                self._progress[job.id] = (job, time.time())
            self._schedule()

    def _schedule(self) -> None:
        if not self._scheduled and self._loop is not None:
            self._scheduled = True
            try:
                self._loop.call_soon_threadsafe(self._flush)
            except RuntimeError:  # the loop is closed: the app is shutting down
                self._scheduled = False

    def _flush(self) -> None:
        with self._lock:
            state, progress = self._state, self._progress
            self._state, self._progress = [], {}
            self._scheduled = False
        messages: list[Message] = [
            _Shared(type=type, job=job.snapshot(), event=event.to_dict() if event else None)
            for job, event, type in state]
        messages.extend(_Shared(type='job_progress', job=job.snapshot(), event=None, at=at)
                        for job, at in progress.values())
        for sub in list(self._subscribers):
            sub.put_all(messages)
        self.delivered += len(messages) * len(self._subscribers)
