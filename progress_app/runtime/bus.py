"""The event bus: fan-out of job updates from worker threads to subscribers on the event loop.

Publishing never blocks a job: it appends under a short lock and schedules one flush on the loop per batch.
Progress is coalesced per job (only the newest snapshot is delivered); state events are delivered in order.
Each subscriber has a bounded queue: when a slow client falls behind, its queued intermediate progress is
dropped, its state events are kept, and other subscribers are not affected.
"""

from __future__ import annotations

import asyncio
import threading
from collections import deque
from collections.abc import AsyncIterator, Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from progress_app.domain.events import Event
    from progress_app.runtime.job import Job

Message = dict[str, Any]


class Subscription:
    def __init__(self, bus: EventBus, accept: Callable[[Message], bool] | None, maxsize: int) -> None:
        self._bus = bus
        self.accept = accept
        self._queue: deque[Message] = deque()
        self._maxsize = maxsize
        self._ready = asyncio.Event()
        self.dropped = 0
        self.closed = False

    def set_filter(self, accept: Callable[[Message], bool] | None) -> None:
        """Change what this subscriber receives; queued messages that no longer match are dropped."""
        self.accept = accept
        if accept is not None:
            self._queue = deque(m for m in self._queue if accept(m))

    def put(self, message: Message) -> None:
        if self.accept is not None and not self.accept(message):
            return
        queue = self._queue
        if message['type'] == 'job_progress':
            job_id = message['job']['id']
            for i, old in enumerate(queue):  # keep only the newest progress of a job
                if old['type'] == 'job_progress' and old['job']['id'] == job_id:
                    del queue[i]
                    self.dropped += 1
                    break
        queue.append(message)
        while len(queue) > self._maxsize:
            victim = next((m for m in queue if m['type'] == 'job_progress'), queue[0])
            queue.remove(victim)
            self.dropped += 1
        self._ready.set()

    async def get(self) -> Message:
        while not self._queue:
            if self.closed:
                raise StopAsyncIteration
            self._ready.clear()
            await self._ready.wait()
        return self._queue.popleft()

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
        self._progress: dict[int, Job] = {}
        self._scheduled = False
        self._subscribers: set[Subscription] = set()
        self.delivered = 0

    def attach(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop

    def detach(self) -> None:
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
            self._progress[job.id] = job
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
        messages: list[Message] = []
        for job, event, type in state:
            messages.append({'type': type, 'job': job.snapshot(), 'event': event.to_dict() if event else None})
        messages.extend({'type': 'job_progress', 'job': job.snapshot(), 'event': None} for job in progress.values())
        for sub in list(self._subscribers):
            for message in messages:
                sub.put(message)
        self.delivered += len(messages) * len(self._subscribers)
