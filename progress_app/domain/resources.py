"""CPU and memory of a job (issue 17, item 7): what its processes and its thread used, from periodic samples.

Pure: a sample is what was read at one moment (each process's CPU seconds so far and resident memory, and the
CPU seconds of the job's thread), and the clock is an argument. CPU time is counted per process from the first
sample that saw it, so the time of processes that have ended since is kept; memory is the sum over the processes
alive now, and the peak is the highest sum seen. Totals go on from what earlier attempts used (`cpu_seconds`,
`peak_rss_bytes`, stored with the job).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

THREAD = -1
"""The key of the job's own thread among a sample's CPU times (process ids are positive)."""


@dataclass(frozen=True, slots=True)
class Usage:
    """A job's resources as its JSON shows them; each None until known."""

    cpu_percent: float | None = None  # of one core, over the last interval (a job on two cores shows 200)
    rss_bytes: int | None = None  # resident memory of its process tree now
    peak_rss_bytes: int | None = None
    cpu_seconds: float | None = None  # CPU time of its processes and thread, all attempts together

    def to_dict(self) -> dict[str, Any]:
        return {'cpu_percent': self.cpu_percent, 'rss_bytes': self.rss_bytes, 'peak_rss_bytes': self.peak_rss_bytes,
                'cpu_seconds': self.cpu_seconds}

    def ended(self) -> Usage:
        """What is left once the job stops running: the peak and the total."""
        return Usage(peak_rss_bytes=self.peak_rss_bytes, cpu_seconds=self.cpu_seconds)


@dataclass
class UsageMeter:
    """Turns one job's samples into its `Usage`. `cpu_seconds` and `peak_rss_bytes`: what earlier attempts used."""

    cpu_seconds: float = 0.0
    peak_rss_bytes: int | None = None
    _seen: dict[int, float] = field(default_factory=dict)
    _last: tuple[float, float] | None = None  # (time, total CPU seconds) of the previous sample

    def sample(self, now: float, cpu: Mapping[int, float], rss: int | None, thread_start: float = 0.0) -> Usage:
        """One sample at `now`: CPU seconds so far by process id (THREAD: the job's thread), and the resident
        memory of its processes (None: it has none). `thread_start`: the CPU seconds the thread had used when the
        job started in it (pool threads are reused), counted from at its first sample."""
        for key, seconds in cpu.items():
            before = self._seen.get(key)
            if before is None:
                before = thread_start if key == THREAD else 0.0
            elif seconds < before:  # a new process with a reused id, or a new thread
                before = 0.0
            self.cpu_seconds += max(seconds - before, 0.0)
            self._seen[key] = seconds
        percent = None
        if self._last is not None and now > self._last[0]:
            percent = round(max(self.cpu_seconds - self._last[1], 0.0) / (now - self._last[0]) * 100, 1)
        self._last = (now, self.cpu_seconds)
        if rss is not None:
            self.peak_rss_bytes = max(self.peak_rss_bytes or 0, rss)
        return Usage(percent, rss, self.peak_rss_bytes, round(self.cpu_seconds, 3))


def stored(row: Mapping[str, Any]) -> Usage | None:
    """A job's usage from its stored row (None if it never had a sample)."""
    peak, seconds = row.get('peak_rss_bytes'), row.get('cpu_seconds')
    return None if peak is None and seconds is None else Usage(peak_rss_bytes=peak, cpu_seconds=seconds)


def columns(usage: Usage | None) -> dict[str, Any]:
    """The job row's columns for its usage."""
    return {} if usage is None else {'peak_rss_bytes': usage.peak_rss_bytes, 'cpu_seconds': usage.cpu_seconds}
