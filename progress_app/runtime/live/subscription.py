"""A subscriber's bounded queue of bus messages.

When a slow client falls behind, its queued intermediate progress is dropped or merged, its state events are kept,
and other subscribers are not affected. A batch subscriber's queue holds at most one progress frame: a newer frame
is merged into the one not yet sent, so a slow client skips to the latest progress instead of buffering it.
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
BATCH_TYPE = 'job_progress_batch'


class Subscription:
    """A subscriber's bounded queue. Every operation is O(1) (a change of filter rebuilds it; merging a frame costs
    its size).

    A job's queued progress is replaced in place by a newer snapshot, so the job keeps its turn: a client that
    reads more slowly than progress arrives still gets every job's newest snapshot in turn, instead of the same
    few jobs again and again. Once a state event of the job is queued, its next progress goes after that event.

    With `batch` (all jobs followed), progress comes as `job_progress_batch` frames. The frame still queued is
    the pending one: a newer frame merges into it (per job the newest snapshot; `at` stays the oldest) and the
    merge moves to the end of the queue; a state event queued after it takes its job out of it (the event carries
    a newer snapshot). So a job's progress never arrives older than a state event of it already delivered.
    """

    def __init__(self, bus: EventBus, accept: Callable[[Message], bool] | None, maxsize: int, *,
                 job_id: int | None = None, progress: bool = True, batch: bool = False) -> None:
        self._bus = bus
        self.accept = accept
        self.job_id = job_id
        self.progress = progress
        self.batch = batch
        """All jobs' progress in one `job_progress_batch` frame per bus flush instead of `job_progress` messages."""
        self._maxsize = maxsize
        self._queue: deque[Slot] = deque()
        self._progress: deque[Slot] = deque()  # the queued progress slots, oldest first: the first to drop
        self._latest: dict[int, Slot] = {}  # job id → its queued progress slot that a newer snapshot replaces
        self._pending: Slot | None = None  # the queued progress frame (batch), not yet sent
        self._merged: dict[int, Message] | None = None  # its snapshots by job id once it differs from the bus's
        self._size = 0  # messages queued (dropped slots do not count)
        self._ready = asyncio.Event()
        self.dropped = 0
        self.closed = False

    def follow(self, job_id: int | None) -> None:
        """From now on receive one job's messages (None: every job's); queued messages of other jobs are dropped."""
        self.job_id = job_id
        if job_id is not None:
            queued = [slot[0] for slot in self._queue
                      if slot[0] is not None and (slot[0].get('job') or {}).get('id') == job_id]
            self._queue, self._progress, self._latest, self._size = deque(), deque(), {}, 0
            self._pending = self._merged = None
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
            kind = message['type']
            if kind == 'job_progress':
                slot = latest.get(job['id'])
                if slot is not None:  # the newest snapshot takes the place of the queued one
                    slot[0] = message
                    self.dropped += 1
                    continue
                slot = latest[job['id']] = [message]
                self._progress.append(slot)
            elif kind == BATCH_TYPE:
                slot = self._merge(message)
            else:
                if job:
                    latest.pop(job['id'], None)  # the job's next progress must follow this event
                    if self._pending is not None:
                        self._take_out(job['id'])
                slot = [message]
            queue.append(slot)
            self._size += 1
            added = True
            if self._size > self._maxsize:
                self._drop_one()
        return added

    def _merge(self, frame: Message) -> Slot:
        """The slot of `frame`, merged with the pending frame (whose place in the queue is given up)."""
        pending = self._pending
        if pending is not None:
            merged = self._snapshots()
            for snapshot in frame['jobs']:
                merged.pop(snapshot['id'], None)  # the newest goes last, as in the frame
                merged[snapshot['id']] = snapshot
            frame = {'type': BATCH_TYPE, 'at': min(pending[0]['at'], frame['at']), 'jobs': None}
            self._merged = merged
            pending[0] = None
            self._size -= 1
            self.dropped += 1
        slot = self._pending = [frame]
        return slot

    def _snapshots(self) -> dict[int, Message]:
        if self._merged is None:
            self._merged = {snapshot['id']: snapshot for snapshot in self._pending[0]['jobs']}
        return self._merged

    def _take_out(self, job_id: int) -> None:
        """A state event of `job_id` is queued after the pending frame: the frame's older snapshot of it goes."""
        snapshots = self._snapshots()
        if snapshots.pop(job_id, None) is None:
            return
        pending = self._pending
        if not snapshots:  # nothing left to send
            pending[0] = None
            self._pending = self._merged = None
            self._size -= 1
            self.dropped += 1
        elif pending[0]['jobs'] is not None:  # the bus's shared frame: this queue's copy now differs
            pending[0] = {'type': BATCH_TYPE, 'at': pending[0]['at'], 'jobs': None}

    def _drop_one(self) -> None:
        """Drop the oldest queued progress (single, then the pending frame), or else the oldest message."""
        if self._progress:
            slot = self._progress.popleft()
            job_id = slot[0]['job']['id'] if slot[0] is not None else None
            if self._latest.get(job_id) is slot:
                del self._latest[job_id]
        elif self._pending is not None:
            slot = self._pending
            self._pending = self._merged = None
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
            elif slot is self._pending:
                if message['jobs'] is None:  # merged here: built once, when it goes out
                    message = {'type': BATCH_TYPE, 'at': message['at'], 'jobs': list(self._merged.values())}
                self._pending = self._merged = None
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
