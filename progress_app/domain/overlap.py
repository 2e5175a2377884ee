"""What a schedule does when it fires while an earlier run of it is still active: its `overlap` policy.

- `skip` (the default): no new run; the schedule counts the skipped fire.
- `queue`: at most one run waits: it starts when the active one ends (however that ends); a fire while one is
  already waiting is skipped.
- `cancel_previous`: the active runs are cancelled and the new one starts.
- `allow`: runs pile up, as many as fire.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

Overlap = Literal['skip', 'queue', 'cancel_previous', 'allow']
OVERLAPS: tuple[Overlap, ...] = ('skip', 'queue', 'cancel_previous', 'allow')
DEFAULT_OVERLAP: Overlap = 'skip'
WAITING = frozenset({'scheduled', 'queued'})
"""A run in one of these statuses has not started: under `queue` it is the one run that may wait."""


@dataclass(frozen=True, slots=True)
class Fire:
    """What one fire does: submit a run (after `after`, if given), cancel `cancel` first, or skip."""

    submit: bool
    after: int | None = None
    cancel: tuple[int, ...] = ()

    @property
    def skipped(self) -> bool:
        return not self.submit


def decide(policy: Overlap, active: Sequence[tuple[int, str]]) -> Fire:
    """The fire under `policy`, given the schedule's unfinished runs as (job id, status), oldest first."""
    if not active or policy == 'allow':
        return Fire(submit=True)
    if policy == 'skip':
        return Fire(submit=False)
    if policy == 'cancel_previous':
        return Fire(submit=True, cancel=tuple(job_id for job_id, _ in active))
    if any(status in WAITING for _, status in active):  # queue: one is waiting already
        return Fire(submit=False)
    return Fire(submit=True, after=active[-1][0])
