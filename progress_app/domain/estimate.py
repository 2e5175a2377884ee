"""What earlier runs say about this one: its expected duration, progress by time, and whether it is overdue.

A job that reports no progress (a silent script, an external run without a total) still has a usual duration: the
median of its last successful runs (the same schedule, or the same kind with the same parameters). While it runs,
the time it has run against that expectation is an estimate of its progress, shown as one ('≈ 40 % · usually
42 min') and never above 99 % before the job ends. A run that takes more than `OVERDUE_FACTOR` times the usual is
overdue. Everything takes plain numbers, so tests drive it with a fake clock.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Sequence

from progress_app.domain.duration import duration

RUNS = 5
"""How many of the latest successful runs the expectation is the median of."""
OVERDUE_FACTOR = 2.0
"""A run is overdue once it has run this many times its expected duration."""
MAX_GUESS = 0.99
"""Progress by time stops here: only the job's end makes it 100 %."""


def expected(seconds: Sequence[float], runs: int = RUNS) -> float | None:
    """The median of the `runs` latest durations (`seconds`, newest first); None without any."""
    latest = [s for s in seconds[:runs] if s is not None and s >= 0]
    return statistics.median(latest) if latest else None


def medians(runs: Iterable[dict[str, float]], runs_count: int = RUNS) -> dict[str, float]:
    """Per name, the median of the `runs_count` latest values (`runs`: one {name: seconds} per run, newest first)."""
    seen: dict[str, list[float]] = {}
    for run in runs:
        for name, value in run.items():
            values = seen.setdefault(name, [])
            if len(values) < runs_count and value is not None:
                values.append(value)
    return {name: statistics.median(values) for name, values in seen.items() if values}


def by_time(elapsed: float, expected_seconds: float | None) -> float | None:
    """The fraction done, estimated from the time run against the expected duration; at most `MAX_GUESS`."""
    if not expected_seconds or expected_seconds <= 0:
        return None
    return min(max(elapsed, 0.0) / expected_seconds, MAX_GUESS)


def time_left(elapsed: float, expected_seconds: float | None) -> float | None:
    """Seconds the run has left if it takes as long as usual; None when unknown or when it is past that."""
    if not expected_seconds or elapsed >= expected_seconds:
        return None
    return expected_seconds - max(elapsed, 0.0)


def overdue(elapsed: float, expected_seconds: float | None, factor: float = OVERDUE_FACTOR) -> bool:
    """Whether a run that has run `elapsed` seconds has taken more than `factor` times its expected duration."""
    return bool(expected_seconds) and expected_seconds > 0 and elapsed > factor * expected_seconds


def overdue_in(elapsed: float, expected_seconds: float, factor: float = OVERDUE_FACTOR) -> float:
    """Running seconds until the run becomes overdue (0 if it is)."""
    return max(factor * expected_seconds - elapsed, 0.0)


def label(elapsed: float, expected_seconds: float | None) -> str:
    """'≈ 40 % · usually 42 min', or 'longer than usual (usually 42 min)' past it; '' when nothing is known."""
    fraction = by_time(elapsed, expected_seconds)
    if fraction is None:
        return ''
    usually = f'usually {duration(expected_seconds)}'
    if elapsed >= expected_seconds:  # type: ignore[operator]  # known: fraction is not None
        return f'longer than usual ({usually})'
    return f'≈ {fraction * 100:.0f} % · {usually}'
