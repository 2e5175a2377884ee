"""Pages pushed from the event bus, not polled.

One `Feed` per app watches the bus (`service.watch`): at each flush — every sampler tick while jobs move, at once
on a state change — it hands each open page the state messages and the jobs that moved, on the event loop, and
the page updates what it shows from the live job objects. Nothing is read from the database on a tick. One shared
clock (CLOCK_SECONDS) brings on what changes with time alone: an elapsed time, a chart's next point, a log's new
lines. A page in a background tab is brought up to date at most every HIDDEN_SECONDS: it says when it is hidden
(the browser's `visibilitychange`), and its changes wait for the clock.

No job thread ever touches a page: the bus hands its batches to the loop, and NiceGUI's outbox is fed from there.
"""

from __future__ import annotations

import asyncio
import logging
import time
import weakref
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from nicegui import background_tasks, ui

from progress_app.ui.listings import Listings

if TYPE_CHECKING:
    from progress_app.runtime import Job, Message
    from progress_app.runtime.service import JobService

logger = logging.getLogger(__name__)

CLOCK_SECONDS = 1.0
"""The shared clock: what changes with time alone (elapsed, a chart's next point, a log's new lines)."""
HIDDEN_SECONDS = 2.0
"""A page in a background tab is brought up to date at most this often."""
VISIBILITY_JS = '''
document.addEventListener('visibilitychange', () => emitEvent('page_visibility', document.hidden));
'''


_feeds: weakref.WeakKeyDictionary[JobService, Feed] = weakref.WeakKeyDictionary()


def feed_of(service: JobService) -> Feed:
    """The app's feed (one per service)."""
    feed = _feeds.get(service)
    if feed is None:
        feed = _feeds[service] = Feed(service)
    return feed


class Page:
    """A page (or a part of one) that the feed keeps up to date. Subclasses implement `changed` and `tick`."""

    hidden = False
    pending = False  # changes arrived while hidden: applied at the next clock tick
    shown_at = 0.0

    def changed(self, state: list[Message], moved: dict[int, Job]) -> bool:
        """Bring the page up to date with a bus flush; return False when nothing of it concerned the page."""
        raise NotImplementedError

    def tick(self, now: float) -> None:
        """The shared clock's tick (every CLOCK_SECONDS)."""

    def refresh(self) -> None:
        """Bring everything up to date (after the page was hidden)."""


class Feed:
    """The app's one watcher of the bus, and its one clock, shared by every open page."""

    def __init__(self, service: JobService) -> None:
        self._service = service
        self._pages: dict[Page, None] = {}  # in order of opening
        self._unwatch: Callable[[], None] | None = None
        self._clock: asyncio.Task[None] | None = None
        self.listings = Listings()

    def add(self, page: Page) -> None:
        """Keep `page` up to date until its browser tab goes away (call while building the page)."""
        self._pages[page] = None
        client = ui.context.client
        client.on_delete(lambda: self.remove(page))
        ui.add_body_html(f'<script>{VISIBILITY_JS}</script>')
        ui.on('page_visibility', lambda event: self._visibility(page, bool(event.args)))
        if self._unwatch is None:
            self._unwatch = self._service.watch(self._flushed)
        if self._clock is None or self._clock.done():
            self._clock = background_tasks.create(self._run_clock(), name='page clock')

    def remove(self, page: Page) -> None:
        self._pages.pop(page, None)
        if not self._pages and self._unwatch is not None:
            self._unwatch()
            self._unwatch = None

    @property
    def pages(self) -> int:
        return len(self._pages)

    def _visibility(self, page: Page, hidden: bool) -> None:
        page.hidden = hidden
        if not hidden and page.pending:
            page.pending = False
            self._safely(page.refresh)

    def _flushed(self, state: list[Message], moved: dict[int, Job]) -> None:
        for page in list(self._pages):
            if page.hidden:
                page.pending = True
                continue
            self._safely(page.changed, state, moved)

    async def _run_clock(self) -> None:
        while self._pages:
            await asyncio.sleep(CLOCK_SECONDS)
            now = time.monotonic()
            for page in list(self._pages):
                if page.hidden:
                    if page.pending and now - page.shown_at >= HIDDEN_SECONDS:
                        page.pending = False
                        page.shown_at = now
                        self._safely(page.refresh)
                    continue
                self._safely(page.tick, now)

    def _safely(self, call: Callable[..., Any], *args: Any) -> None:
        """One page's bug must not stop the others' updates."""
        try:
            call(*args)
        except Exception:
            logger.exception('updating a page failed')
