"""The live side of the app's service: the event loop's hook-up, the streams, the pages' watchers and focus.

`JobService` is one facade for the UI and the API; this is the part of it that belongs to the event loop.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from progress_app.runtime.live.subscription import Message, Subscription

if TYPE_CHECKING:
    from progress_app.runtime.engine.engine import Engine
    from progress_app.runtime.engine.job import Job


class LiveSide:
    _engine: Engine

    def attach(self, loop: asyncio.AbstractEventLoop) -> None:
        """Deliver live events on `loop` (call on it, once it runs)."""
        self._engine.bus.attach(loop)
        self._engine.heartbeat.start(loop)

    def detach(self) -> None:
        self._engine.heartbeat.stop()
        self._engine.bus.detach()

    def end_streams(self) -> None:
        """End every live subscription (call on the loop as the server begins to stop): open streams finish, so
        the server does not wait for their clients to hang up."""
        self._engine.bus.close_all()

    def subscribe(self, accept: Callable[[Message], bool] | None = None, maxsize: int = 1000, *,
                  job_id: int | None = None, progress: bool = True, batch: bool = False) -> Subscription:
        """Live messages of all jobs (or of `job_id`'s); call on the event loop, iterate with `async for`.
        `progress=False`: no progress messages or frames; `batch`: all jobs' progress in one `job_progress_batch`
        frame per flush (see bus.py); `accept`: any other filter."""
        return self._engine.bus.subscribe(accept, maxsize, job_id=job_id, progress=progress, batch=batch)

    def watch(self, watcher: Callable[[list[Message], dict[int, Job]], None]) -> Callable[[], None]:
        """Call `watcher(state_messages, moved_jobs)` on the event loop each time the bus flushes (each sampler tick
        while jobs move, at once on a state change); returns the function that stops it. For the pages."""
        return self._engine.bus.watch(watcher)

    def focus(self, job_id: int) -> Callable[[], None]:
        """A page follows `job_id` closely: its changes are looked for more often. Returns the release."""
        return self._engine.bus.focus(job_id)

    def events_after(self, event_id: int) -> list[dict[str, Any]]:
        """All jobs' events with an id above `event_id`, in order, including everything published so far."""
        self._engine.recorder.flush()
        return self._engine.repo.events_after(event_id)

    def live_job(self, job_id: int) -> Job | None:
        """The job's live object if it is in memory (unfinished or recently finished), for polling on the loop."""
        return self._engine.live(job_id)
