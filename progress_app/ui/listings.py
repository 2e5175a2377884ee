"""The dashboard's list of jobs, read once for every tab showing the same view.

A view is a filter, kind, search and page. Its rows' numbers come from the live jobs (pushed); the database is
asked only when the *shape* of the list may have changed — a job added, removed or changing status, another
filter or page — and then once per view, however many tabs show it: a tab asking while that view is being read
waits for the same read. A read that began before the last change is not handed out as new.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any

from nicegui import run

Loaded = tuple[dict[str, Any], dict[str, int]]
"""A page of the list (`service.list`) and the count of jobs by status (`service.stats`)."""


@dataclass
class _Read:
    generation: int
    task: asyncio.Future[Loaded | None]


class Listings:
    """The views' reads, shared; `changed()` marks every view out of date."""

    def __init__(self) -> None:
        self._generation = 0
        self._reads: dict[Hashable, _Read] = {}
        self._kept: dict[Hashable, tuple[int, Loaded]] = {}
        self.queries = 0  # reads made (for tests and benches: how well the tabs share them)

    def changed(self) -> None:
        """A job was added, removed or changed status: every view is read again when next asked for."""
        self._generation += 1
        self._kept.clear()

    async def get(self, view: Hashable, load: Callable[[], Loaded]) -> Loaded | None:
        """The view's rows as of now: the last read if nothing changed since, the read under way if it began after
        the last change, else a new read (`load` runs in a thread). None: the app is going away."""
        generation = self._generation
        kept = self._kept.get(view)
        if kept is not None and kept[0] == generation:
            return kept[1]
        read = self._reads.get(view)
        if read is None or read.generation != generation:
            read = _Read(generation, asyncio.ensure_future(self._read(view, generation, load)))
            self._reads[view] = read
        return await asyncio.shield(read.task)

    async def _read(self, view: Hashable, generation: int, load: Callable[[], Loaded]) -> Loaded | None:
        self.queries += 1
        try:
            loaded = await run.io_bound(load)
        finally:
            if (read := self._reads.get(view)) is not None and read.generation == generation:
                del self._reads[view]
        if loaded is not None and generation == self._generation:
            self._kept[view] = (generation, loaded)
        return loaded
