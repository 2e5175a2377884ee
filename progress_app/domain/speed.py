"""How a job's speed reads: units per second, or seconds per unit when the work is slow.

The choice has hysteresis. A job going at about one unit a second would otherwise flip from one sample to the
next between '1.1 images/s' and '1.0 s/image'; so a speed reads per unit once it falls below `SLOW_BELOW` and per
second again only once it rises above `FAST_ABOVE`. The Meter (one per job) keeps the choice, so every page shows
a job's speed the same way.
"""

from __future__ import annotations

SLOW_BELOW = 0.8
"""Units per second below which a speed reads as seconds per unit."""
FAST_ABOVE = 1.25
"""Units per second above which a speed read per unit reads per second again."""


def per_unit(rate: float | None, before: bool) -> bool:
    """Whether `rate` (units per second) reads as seconds per unit, given whether it did `before`."""
    if rate is None or rate <= 0:
        return before
    return rate < FAST_ABOVE if before else rate < SLOW_BELOW
