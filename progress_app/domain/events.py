"""Event types of a job's persisted history."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class EventType(StrEnum):
    CREATED = 'created'
    QUEUED = 'queued'
    STARTED = 'started'
    STAGE = 'stage'
    PROGRESS = 'progress'
    MESSAGE = 'message'
    PAUSED = 'paused'
    RESUMED = 'resumed'
    INTERRUPTED = 'interrupted'
    RETRIED = 'retried'
    COMPLETED = 'completed'
    FAILED = 'failed'
    CANCELLING = 'cancelling'  # cancel asked of a job in a worker; `cancelled` follows at its next check point
    CANCELLED = 'cancelled'
    REMOVED = 'removed'
    ATTEMPT_FAILED = 'attempt_failed'  # a try failed and the job waits for its next one (automatic retries)
    STALLED = 'stalled'  # its progress has stood still far longer than its pace (domain/stall.py)
    UNSTALLED = 'unstalled'  # … and has moved again
    OVERDUE = 'overdue'  # it has run more than twice as long as its earlier runs usually take (domain/estimate.py)
    REATTACHED = 'reattached'  # an external run's script came back (resume_key, or a report after its lease ran out)


@dataclass(slots=True, frozen=True)
class Event:
    """One entry of a job's history.

    `id` is global and increasing across all jobs (it is the SSE event id); `seq` counts per job from 1.
    """

    id: int
    job_id: int
    seq: int
    at: float
    type: EventType
    data: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {'id': self.id, 'job_id': self.job_id, 'seq': self.seq, 'at': self.at, 'type': self.type.value,
                'data': self.data}
