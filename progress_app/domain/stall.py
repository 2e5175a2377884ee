"""Stall detection (issue 17, item 4): a running job whose progress has not moved for much longer than its own
recent pace is stalled; it clears when its progress moves again.

Pure: times are the job's running seconds (pauses do not count), handed in by the caller, so tests use a fake
clock. The pace is the smoothed time per unit between the moves the watcher saw (looking about once a second: a
look that finds 20 more units done than the last one, 2 s later, makes 0.1 s a unit); a job whose count does not
go up (only its percent moves) has the time between moves as its pace.

A job that has never moved has no pace; it is judged by its expected duration instead (`overdue`), when one is
known (the learned duration of its earlier runs: `expected_seconds`).
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from progress_app.domain.duration import duration
from progress_app.errors import InvalidParams

MIN_STALL_SECONDS = 60.0
"""No job is stalled before its progress has stood still this long (the engine's `stall_min_seconds` setting)."""
PACE_FACTOR = 10.0
"""Stalled: no move for this many times the job's typical time between moves."""
OVERDUE_FACTOR = 2.0
"""A job without progress is stalled once it has run this many times its expected duration."""
SMOOTHING = 0.3
ON_STALL = ('warn', 'fail')
"""What a job asks to happen when it stalls (`on_stall` option): a warning (default), or fail it."""

OnStall = Literal['warn', 'fail']
Change = Literal['stalled', 'unstalled']


def limit(pace: float | None, minimum: float = MIN_STALL_SECONDS) -> float:
    """Seconds without a move after which a job of this pace (seconds between moves; None: unknown) is stalled."""
    return max(minimum, PACE_FACTOR * pace) if pace is not None else minimum


def overdue(running_seconds: float, expected_seconds: float | None) -> bool:
    """A job that reports no progress has run past twice its expected duration (None: unknown, never overdue)."""
    return expected_seconds is not None and expected_seconds > 0 and running_seconds > OVERDUE_FACTOR * expected_seconds


def stalled_words(seconds: float) -> str:
    """The error of a job failed for its stall: 'stalled: no progress for 2 min'."""
    return f'stalled: no progress for {duration(seconds)}'


@dataclass
class StallWatch:
    """One job's watch: fed its progress (any comparable key) at its running time, says when it stalls and clears."""

    minimum: float = MIN_STALL_SECONDS
    key: Hashable = None
    count: float | None = None  # units done at the last move
    moved_at: float | None = None  # running seconds of the last move (or of the first look)
    pace: float | None = None
    moves: int = 0
    stalled: bool = False

    def see(self, running: float, key: Hashable, expected_seconds: float | None = None,
            count: float | None = None) -> Change | None:
        """Look at the job now (its progress `key` and `count` of units done in its stage): 'stalled' when it has
        just stalled, 'unstalled' when it has just moved again."""
        if self.moved_at is None:
            self.moved_at, self.key, self.count = running, key, count
            return None
        if key != self.key:
            steps = count - self.count if count is not None and self.count is not None else 0.0
            per_unit = (running - self.moved_at) / max(steps, 1.0)
            if not self.stalled:  # a stall says nothing about the pace: it would raise the next limit
                self.pace = per_unit if self.pace is None else self.pace + SMOOTHING * (per_unit - self.pace)
            self.moved_at, self.key, self.count, self.moves = running, key, count, self.moves + 1
            if self.stalled:
                self.stalled = False
                return 'unstalled'
            return None
        if self.stalled:
            return None
        if self.moves == 0:
            stuck = overdue(running, expected_seconds)
        else:
            stuck = running - self.moved_at >= limit(self.pace, self.minimum)
        if stuck:
            self.stalled = True
            return 'stalled'
        return None

    def still_for(self, running: float) -> float:
        """Seconds the job's progress has stood still at running time `running`."""
        return 0.0 if self.moved_at is None else max(running - self.moved_at, 0.0)


def option(source: Mapping[str, Any]) -> dict[str, Any]:
    """The `on_stall` option given in `source` (a submission's fields, a job's options), if any."""
    return {} if source.get('on_stall') is None else {'on_stall': source['on_stall']}


def problems(options: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The error of a bad `on_stall` option (an InvalidParams problem), [] if it is fine."""
    value = options.get('on_stall')
    if value is None or value in ON_STALL:
        return []
    return [InvalidParams.problem('on_stall', f"must be one of {', '.join(ON_STALL)}")]
