"""The event bus: fan-out of job updates from worker threads to subscribers on the event loop.

Publishing never blocks a job: it appends under a short lock and schedules one flush on the loop per batch.
Progress is coalesced per job (only the newest snapshot is delivered); state events are delivered in order.
Each subscriber has a bounded queue (subscription.py).

Each flush (about one per sampler tick, 10 a second, while jobs move; at once on a state change) gives:
- every subscriber its state messages (`job_update`, `job_removed`), in order, never dropped;
- a batch subscriber following all jobs, after them, one `job_progress_batch` frame `{"type", "at", "jobs":
  [snapshot, ...]}` with every job whose progress changed. The frame is one object for all of them, encoded once
  (`encoded()`), so 100 clients × 200 moving jobs cost 1,000 frames a second, not 200,000 messages;
- a single-message subscriber following all jobs `job_progress` messages, within a progress budget the
  single-message all-jobs streams share (FairBudget, below);
- a subscriber following one job its `job_progress` messages, at the full rate;
- the watchers (the pages) the state messages and every job that moved.

A progress message or frame carries `at`: the wall-clock time (as `event.at`) of the oldest change it reports,
so a client can tell how old a snapshot is. Snapshots are taken after the state messages' ones, so a frame never
carries a snapshot older than a state message of its job that goes out before it.
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from progress_app.runtime.live.subscription import BATCH_TYPE, Message, Subscription

if TYPE_CHECKING:
    from progress_app.domain.events import Event
    from progress_app.runtime.engine.job import Job

logger = logging.getLogger(__name__)

FAN_OUT_PER_SECOND = 8_000.0  # job_progress messages a second to all the single-message all-jobs streams together
LEAST_PER_SECOND = 50.0  # each all-jobs stream gets at least this many, however many clients there are
BURST_SECONDS = 0.2  # the budget saved up while few jobs had news
HELD_SECONDS = 0.05  # progress the budget held back goes out this much later (or with the next publish)


class _Shared(dict[str, Any]):
    """A published message: the same object goes to every subscriber, so its encodings are worth keeping."""

    __slots__ = ('encodings',)


def encoded(message: Message, encode: Callable[[Message], str]) -> str:
    """`encode(message)`; for a message from the bus computed once, however many subscribers send it."""
    if type(message) is not _Shared:
        return encode(message)
    encodings = getattr(message, 'encodings', None)
    if encodings is None:
        encodings = message.encodings = {}
    text = encodings.get(encode)
    if text is None:
        text = encodings[encode] = encode(message)
    return text


def _json(message: Message) -> str:
    return json.dumps(message, separators=(',', ':'))


def to_json(message: Message) -> str:
    """`message` as compact JSON (encoded once per published message)."""
    return encoded(message, _json)


class EventBus:
    def __init__(self, fan_out_per_second: float = FAN_OUT_PER_SECOND) -> None:
        self._loop: asyncio.AbstractEventLoop | None = None
        self._lock = threading.Lock()
        self._state: list[tuple[Job, Event | None, str]] = []
        self._progress: dict[int, tuple[Job, float]] = {}  # job id → (job, when its oldest unsent change came)
        self._held: dict[int, tuple[Job, float]] = {}  # progress the all-jobs streams have not had yet (budget)
        self._fan_out = fan_out_per_second
        self._budget = FairBudget()
        self._held_timer: asyncio.TimerHandle | None = None
        self._scheduled = False
        self._subscribers: set[Subscription] = set()
        self._focus: dict[int, int] = {}  # job id → how many pages follow it closely
        self._glimpses: dict[int, Job] = {}  # followed jobs seen moving between two ticks (for the pages)
        self._watchers: list[Callable[[list[Message], dict[int, Job]], None]] = []
        self.delivered = 0

    def attach(self, loop: asyncio.AbstractEventLoop) -> None:
        """Call on the loop."""
        self._loop = loop

    def detach(self) -> None:
        if self._held_timer is not None:
            self._held_timer.cancel()
            self._held_timer = None
        self._loop = None

    def subscribe(self, accept: Callable[[Message], bool] | None = None, maxsize: int = 1000, *,
                  job_id: int | None = None, progress: bool = True, batch: bool = False) -> Subscription:
        """Call on the event loop; iterate the result with `async for`. `job_id`: that job's messages only;
        `progress=False`: no progress messages; `batch`: while following all jobs, progress in one
        `job_progress_batch` frame per flush (or set `batch` on the subscription); `accept`: any other filter."""
        sub = Subscription(self, accept, maxsize, job_id=job_id, progress=progress, batch=batch)
        self._subscribers.add(sub)
        return sub

    def unsubscribe(self, sub: Subscription) -> None:
        self._subscribers.discard(sub)

    def watch(self, watcher: Callable[[list[Message], dict[int, Job]], None]) -> Callable[[], None]:
        """Call `watcher(state_messages, moved)` on the event loop at each flush: the state messages in order, and
        the jobs whose progress changed (job id → live job), every one of them (no budget, no queue: the pages
        read what they show from the live jobs). Returns the function that stops it. Call on the loop."""
        self._watchers.append(watcher)

        def unwatch() -> None:
            if watcher in self._watchers:
                self._watchers.remove(watcher)

        return unwatch

    def focus(self, job_id: int) -> Callable[[], None]:
        """Someone follows `job_id` closely (a job page): the sampler looks at it more often. Returns the release."""
        self._focus[job_id] = self._focus.get(job_id, 0) + 1
        released = False

        def release() -> None:
            nonlocal released
            if not released:
                released = True
                if self._focus.get(job_id, 0) <= 1:
                    self._focus.pop(job_id, None)
                else:
                    self._focus[job_id] -= 1

        return release

    def focused(self) -> list[int]:
        """The jobs a page follows closely (any thread)."""
        return list(self._focus)

    @property
    def _listened(self) -> bool:
        return bool(self._subscribers or self._watchers)

    def close_all(self) -> None:
        """End every subscription (call on the loop): what is queued is still delivered, then their streams end."""
        for sub in list(self._subscribers):
            sub.close()

    def publish_state(self, job: Job, event: Event | None, type: str = 'job_update') -> None:
        """A status/stage change (or removal): always delivered, in order."""
        if self._loop is None or not self._listened:
            return
        with self._lock:
            self._state.append((job, event, type))
            self._progress.pop(job.id, None)
            self._schedule()

    def publish_progress(self, job: Job) -> None:
        """New counters for a job: coalesced, only the newest is delivered."""
        if self._loop is None or not self._listened:
            return
        with self._lock:
            if job.id not in self._progress:
                self._progress[job.id] = (job, time.time())
            self._schedule()

    def publish_glimpse(self, job: Job) -> None:
        """New counters for a job a page follows closely, seen between two sampler ticks: for the watchers (the
        pages) only. The streams keep their pace; they get the change at the next tick."""
        if self._loop is None or not self._watchers:
            return
        with self._lock:
            self._glimpses[job.id] = job
            self._schedule()

    def _schedule(self) -> None:
        if not self._scheduled and self._loop is not None:
            self._scheduled = True
            try:
                self._loop.call_soon_threadsafe(self._flush)
            except RuntimeError:  # the loop is closed: the app is shutting down
                self._scheduled = False

    def _flush_held(self) -> None:
        self._held_timer = None
        self._flush()

    def _flush(self) -> None:
        with self._lock:
            state, progress, glimpses = self._state, self._progress, self._glimpses
            self._state, self._progress, self._glimpses = [], {}, {}
            self._scheduled = False
        subscribers = list(self._subscribers)
        updates: list[Message] = [
            _Shared(type=type, job=job.snapshot(), event=event.to_dict() if event else None)
            for job, event, type in state]
        if self._watchers:
            moved = glimpses | {job_id: job for job_id, (job, _at) in progress.items()}
            for watcher in list(self._watchers):
                try:
                    watcher(updates, moved)
                except Exception:  # one page's bug must not stop the others' updates, nor the streams
                    logger.exception('a bus watcher failed')
        # Snapshots are taken after the state messages' ones, so progress is never older than a state message
        # of its job that goes out before it; each job is snapshotted once, whoever gets it.
        snapshots: dict[int, Message] = {}

        def snapshot(job: Job) -> Message:
            if job.id not in snapshots:
                snapshots[job.id] = job.snapshot()
            return snapshots[job.id]

        made: dict[int, Message] = {}

        def progress_message(job_id: int, job: Job, at: float) -> Message:
            if job_id not in made:
                made[job_id] = _Shared(type='job_progress', job=snapshot(job), event=None, at=at)
            return made[job_id]

        batched = updates
        if progress and any(sub.job_id is None and sub.progress and sub.batch for sub in subscribers):
            changes = progress.values()
            batched = [*updates, _Shared(type=BATCH_TYPE, at=min(at for _job, at in changes),
                                         jobs=[snapshot(job) for job, _at in changes])]
        singles = updates + [progress_message(job_id, *change) for job_id, change in
                             self._budgeted(state, progress, subscribers).items()]
        for sub in subscribers:
            if sub.job_id is None:
                messages = updates if not sub.progress else batched if sub.batch else singles
            else:
                messages = [m for m in updates if m['job']['id'] == sub.job_id]
                change = progress.get(sub.job_id)
                if change is not None and sub.progress:
                    messages.append(progress_message(sub.job_id, *change))
            if messages:
                sub.put_all(messages)
                self.delivered += len(messages)

    def _budgeted(self, state: list[tuple[Job, Event | None, str]], progress: dict[int, tuple[Job, float]],
                  subscribers: list[Subscription]) -> dict[int, tuple[Job, float]]:
        """The progress the single-message all-jobs streams get in this flush (job id → (job, oldest change)):
        what the budget allows of what they have not had yet; the rest is held for a later flush."""
        held = self._held
        for job, _event, _type in state:  # a state message carries the job's newest snapshot
            held.pop(job.id, None)
        for job_id, change in progress.items():
            held.setdefault(job_id, change)  # the all-jobs streams keep the oldest unsent change's time
        streams = sum(1 for sub in subscribers if sub.job_id is None and sub.progress and not sub.batch)
        if not (held and streams):
            held.clear()
            return {}
        rate = max(self._fan_out / streams, LEAST_PER_SECOND)
        chosen = {job_id: held.pop(job_id) for job_id in self._budget.choose(held, rate, time.monotonic())}
        if held and self._held_timer is None and self._loop is not None:  # the rest go in a later flush
            self._held_timer = self._loop.call_later(HELD_SECONDS, self._flush_held)
        return chosen


class FairBudget:
    """The single-message all-jobs streams' progress budget, shared fairly among jobs: when more jobs have news
    than it allows, those whose progress went out longest ago go first, the rest wait their turn.

    The event loop spends ~20 µs on one WebSocket message, so the budget is a total for all those streams: with
    one of them open, 200 running jobs move ten times a second; with 100 of them following all of them, each
    client gets 80 messages a second and each job moves about every 2.5 s, and the loop stays responsive. Batch
    streams need no budget: they cost one frame per flush each.
    """

    def __init__(self) -> None:
        self._tokens = 0.0
        self._at: float | None = None
        self._sent: dict[int, float] = {}  # job id → when its progress last went out

    def choose(self, waiting: dict[int, Any], rate: float, now: float) -> list[int]:
        """The jobs whose progress goes out now, at most `rate` a second (saved up for at most 0.2 s)."""
        since = BURST_SECONDS if self._at is None else now - self._at
        self._tokens = min(self._tokens + since * rate, rate * BURST_SECONDS)
        self._at = now
        room = int(self._tokens)
        if len(waiting) <= room:
            chosen = list(waiting)
        else:
            sent = self._sent
            chosen = sorted(waiting, key=lambda job_id: sent.get(job_id, 0.0))[:room]
        self._tokens -= len(chosen)
        for job_id in chosen:
            self._sent[job_id] = now
        if len(self._sent) > 4 * len(waiting) + 1000:  # forget jobs that went quiet
            self._sent = {job_id: at for job_id, at in self._sent.items() if now - at < 60}
        return chosen
