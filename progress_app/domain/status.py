"""Job statuses and the one table of allowed transitions between them."""

from __future__ import annotations

from enum import StrEnum

from progress_app.errors import IllegalTransition


class Status(StrEnum):
    SCHEDULED = 'scheduled'
    QUEUED = 'queued'
    RUNNING = 'running'
    PAUSED = 'paused'
    CANCELLING = 'cancelling'  # cancel was asked for; the job's thread has not reached a check point yet
    COMPLETED = 'completed'
    FAILED = 'failed'
    CANCELLED = 'cancelled'

    @property
    def is_terminal(self) -> bool:
        return self in TERMINAL

    @property
    def is_active(self) -> bool:
        return self not in TERMINAL


TERMINAL = frozenset({Status.COMPLETED, Status.FAILED, Status.CANCELLED})
ACTIVE_NAMES = tuple(status.value for status in Status if status not in TERMINAL)
"""The statuses of unfinished jobs, as stored: what recovery loads, what the 'Active' filter shows."""
FINISHED_NAMES = tuple(status.value for status in Status if status in TERMINAL)
"""The statuses of finished jobs, as stored ('completed', 'failed', 'cancelled'): what the history lists."""

TRANSITIONS: dict[Status, frozenset[Status]] = {
    Status.SCHEDULED: frozenset({Status.QUEUED, Status.CANCELLED}),
    Status.QUEUED: frozenset({Status.RUNNING, Status.PAUSED, Status.CANCELLED}),
    # running -> queued: interrupted by a shutdown or crash; it resumes from its checkpoint.
    # running/paused -> cancelling: cancel asked of a job in a worker, which stops at its next check point.
    # running -> scheduled: the attempt failed and the job has retries left: it waits for its next try.
    Status.RUNNING: frozenset({Status.PAUSED, Status.COMPLETED, Status.FAILED, Status.CANCELLED, Status.QUEUED,
                               Status.CANCELLING, Status.SCHEDULED}),
    # paused -> running resumes a live job; paused -> queued resumes one that is not in memory any more.
    Status.PAUSED: frozenset({Status.RUNNING, Status.QUEUED, Status.CANCELLED, Status.CANCELLING}),
    # A job that ends before it sees the cancel ends as it ended; one that never does (a restart, a shutdown) is
    # cancelled: never queued, it must not resume.
    Status.CANCELLING: frozenset({Status.CANCELLED, Status.COMPLETED, Status.FAILED}),
    Status.FAILED: frozenset({Status.QUEUED}),
    Status.CANCELLED: frozenset({Status.QUEUED}),
    Status.COMPLETED: frozenset(),
}

EXTERNAL_TRANSITIONS: dict[Status, frozenset[Status]] = {
    # Its script opens it again (resume_key) or reports after its lease ran out: it goes on, as the same job.
    Status.RUNNING: frozenset({Status.RUNNING}),
    Status.FAILED: frozenset({Status.RUNNING}),
    Status.CANCELLED: frozenset({Status.RUNNING}),
    # Its script ends it (`done`) or its lease runs out while it is paused: nothing in the app holds it.
    Status.PAUSED: frozenset({Status.COMPLETED, Status.FAILED}),
}
"""The moves of an external run (issue 14: a job a script outside the app runs and reports into) beyond the table:
the script, not the app, decides when it runs."""

ACTIONS: dict[Status, tuple[str, ...]] = {
    Status.SCHEDULED: ('start', 'cancel', 'remove'),
    Status.QUEUED: ('pause', 'cancel', 'remove'),
    Status.RUNNING: ('pause', 'cancel', 'remove'),
    Status.PAUSED: ('resume', 'cancel', 'remove'),
    Status.CANCELLING: ('remove',),
    Status.COMPLETED: ('download', 'remove'),
    Status.FAILED: ('retry', 'remove'),
    Status.CANCELLED: ('retry', 'remove'),
}
"""What a user may do to a job in each status: the buttons the UI shows. Each of start, pause, resume, cancel and
retry is a move the transition table allows (tests/domain/test_status.py checks it); download needs an output, and a
job can be removed whatever its status."""

_WHY_NOT: dict[Status, str] = {
    Status.SCHEDULED: 'it has not started yet',
    Status.QUEUED: 'it is waiting in the queue',
    Status.RUNNING: 'it is running',
    Status.PAUSED: 'it is paused',
    Status.CANCELLING: 'it is being cancelled: it stops at its next check point',
    Status.COMPLETED: 'it has completed; run it again as a new job instead',
    Status.FAILED: 'it has failed; retry it instead',
    Status.CANCELLED: 'it was cancelled; retry it instead',
}


# the verb for a move when the caller names no action: 'cannot start a job that is completed'
_VERB: dict[Status, str] = {
    Status.SCHEDULED: 'schedule',
    Status.QUEUED: 'queue',
    Status.RUNNING: 'start',
    Status.PAUSED: 'pause',
    Status.CANCELLING: 'cancel',
    Status.COMPLETED: 'complete',
    Status.FAILED: 'fail',
    Status.CANCELLED: 'cancel',
}


def can_transition(current: Status | str, target: Status | str) -> bool:
    return Status(target) in TRANSITIONS[Status(current)]


def transition(current: Status | str, target: Status | str, action: str | None = None, *,
               external: bool = False) -> Status:
    """Return `target` if the move from `current` is allowed, else raise IllegalTransition.

    `action` names what the user asked for ('pause', 'retry', …) so the message can say it in their words.
    Plain strings ('running') are accepted as well as members, e.g. a status read back from the database.
    `external`: the job is an external run, which also has the moves of EXTERNAL_TRANSITIONS.
    """
    current, target = Status(current), Status(target)
    if target not in TRANSITIONS[current] and not (external and target in EXTERNAL_TRANSITIONS.get(current, ())):
        verb = action or _VERB[target]
        raise IllegalTransition(f'cannot {verb} a job that is {current.value}: {_WHY_NOT[current]}')
    return target
