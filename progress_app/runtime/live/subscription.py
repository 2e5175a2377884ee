"""A subscriber's bounded queue of bus messages.

When a slow client falls behind, its queued intermediate progress is dropped, its state events are kept, and
other subscribers are not affected.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import AsyncIterator, Callable, Iterable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from progress_app.runtime.live.bus import EventBus

Message = dict[str, Any]
Slot = list[Message | None]
"""One place in a subscriber's queue: `[message]`, or `[None]` once the message was dropped."""


class Subscription:
    """A subscriber's bounded queue. Every operation is O(1) (a change of filter rebuilds it).

    A job's queued progress is replaced in place by a newer snapshot, so the job keeps its turn: a client that
    reads more slowly than progress arrives still gets every job's newest snapshot in turn, instead of the same
    few jobs again and again. Once a state event of the job is queued, its next progress goes after that event.
    """

    def __init__(self, bus: EventBus, accept: Callable[[Message], bool] | None, maxsize: int, *,
                 job_id: int | None = None, progress: bool = True) -> None:
        self._bus = bus
        self.accept = accept
        self.job_id = job_id
        self.progress = progress
        self._maxsize = maxsize
        self._queue: deque[Slot] = deque()
        self._progress: deque[Slot] = deque()  # the queued progress slots, oldest first: the first to drop
        self._latest: dict[int, Slot] = {}  # job id → its queued progress slot that a newer snapshot replaces
        self._size = 0  # messages queued (dropped slots do not count)
        self._ready = asyncio.Event()
        self.dropped = 0
        self.closed = False

    def follow(self, job_id: int | None) -> None:
        """From now on receive one job's messages (None: every job's); queued messages of other jobs are dropped."""
        self.job_id = job_id
        if job_id is not None:
            queued = [slot[0] for slot in self._queue if slot[0] is not None and slot[0]['job']['id'] == job_id]
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
