"""Leases of external runs: a run whose script has not reported for its lease is presumed gone.

Counted on a monotonic clock (a wall-clock jump must not end runs), passed in so that tests drive it. The times
live in memory only: after a restart of the app every run's lease counts from the start.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable


class Leases:
    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._runs: dict[int, tuple[float, float]] = {}  # run id -> (last report, lease seconds)
        self._lock = threading.Lock()

    def renew(self, run_id: int, seconds: float) -> None:
        """The run reported now; it has `seconds` until the next report."""
        with self._lock:
            self._runs[run_id] = (self._clock(), seconds)

    def forget(self, run_id: int) -> None:
        with self._lock:
            self._runs.pop(run_id, None)

    def __contains__(self, run_id: int) -> bool:
        return run_id in self._runs

    def silent_for(self, run_id: int) -> float | None:
        """Seconds since the run last reported (None: it is not watched)."""
        entry = self._runs.get(run_id)
        return None if entry is None else max(self._clock() - entry[0], 0.0)

    def overdue(self, run_id: int) -> float | None:
        """Seconds since the run last reported if that is more than its lease, else None."""
        entry = self._runs.get(run_id)
        if entry is None:
            return None
        silent = self._clock() - entry[0]
        return silent if silent > entry[1] else None

    def expired(self) -> list[int]:
        """The runs whose lease has run out, oldest report first. They stay watched until forgotten or renewed."""
        now = self._clock()
        with self._lock:
            late = [(last, run_id) for run_id, (last, seconds) in self._runs.items() if now - last > seconds]
        return [run_id for _last, run_id in sorted(late)]
