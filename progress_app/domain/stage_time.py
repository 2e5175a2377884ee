"""How long each stage of a job has run: the sum of its running time over every attempt.

A stage's wall-clock span (started → finished) starts again with each attempt and counts pauses; a stage's time
as people read it ('process · 3 s over 2 attempts') is the time the job spent running in it. `StageClock` is told
when a stage is entered and left (a pause, an interruption, the end of the attempt leave it too) and sums the
spans; `now` is any monotonic clock, so tests drive it with a fake one.
"""

from __future__ import annotations


class StageClock:
    """Running seconds and attempts of each stage (by index), from earlier attempts (`seconds`, `attempts`, as
    stored) and the span open now."""

    __slots__ = ('_counted', '_open', 'attempts', 'seconds')

    def __init__(self, seconds: dict[int, float] | None = None, attempts: dict[int, int] | None = None) -> None:
        self.seconds = dict(seconds or {})
        self.attempts = dict(attempts or {})
        self._open: tuple[int, float] | None = None  # (stage index, when it was entered)
        self._counted: set[int] = set()  # stages that have run in the current attempt

    def new_attempt(self) -> None:
        """The job starts again (a retry, a restart): a stage it enters counts one attempt more."""
        self._counted.clear()

    def enter(self, index: int, now: float) -> None:
        """The job runs in stage `index` from `now` (leaving the stage it ran in before)."""
        self.leave(now)
        self._open = (index, now)
        if index not in self._counted:
            self._counted.add(index)
            self.attempts[index] = self.attempts.get(index, 0) + 1

    def leave(self, now: float) -> None:
        """The job stops running in its stage at `now` (the stage ended, or the job paused or stopped)."""
        if self._open is not None:
            index, since = self._open
            self.seconds[index] = self.seconds.get(index, 0.0) + max(now - since, 0.0)
            self._open = None

    def running_seconds(self, index: int, now: float) -> float:
        """Seconds the job has run in stage `index`, over all attempts, up to `now`."""
        seconds = self.seconds.get(index, 0.0)
        if self._open is not None and self._open[0] == index:
            seconds += max(now - self._open[1], 0.0)
        return seconds
