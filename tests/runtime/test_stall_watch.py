"""The stall watch over live jobs on a fake clock (runtime/engine/stalls.py): flagged once with an event and a
notification, cleared by a move; a job paused while stalled stays flagged and clears when it moves after resuming."""

from __future__ import annotations

from progress_app.domain.events import Event
from progress_app.domain.progress import Stage
from progress_app.domain.status import Status
from progress_app.runtime.engine.job import Job
from progress_app.runtime.engine.stalls import Stalls


def running_job() -> Job:
    job = Job(id=1, name='j', kind='demo', status=Status.RUNNING, priority=0, params={},
              stages=(Stage('run', 1.0),), created_at=0.0)
    job.progress.enter(0)
    job.progress.total = 100
    job.meter.start(0.0, 0.0, 0.0)
    return job


def watch(job: Job) -> tuple[Stalls, list[str], list[float]]:
    published, told = [], []
    stalls = Stalls(lambda: [job], event=lambda j, type, **data: Event(0, j.id, 0, 0.0, type, data),
                    publish=lambda j, event: published.append(event.type.value),
                    notify=lambda j, seconds: told.append(seconds), minimum=5)
    return stalls, published, told


def test_flagged_once_then_cleared_by_a_move():
    job = running_job()
    stalls, published, told = watch(job)
    for t in range(4):
        job.progress.current = t
        stalls.check(float(t))
    stalls.check(12.9)
    assert job.stalled_since is None
    stalls.check(13.0)  # last move at 3 s, a unit a second: 10 s (the minimum is 5 s)
    stalls.check(14.0)
    assert job.stalled_since is not None and published == ['stalled'] and told == [10.0]
    job.progress.current = 4
    stalls.check(15.0)
    assert job.stalled_since is None and published == ['stalled', 'unstalled'] and len(told) == 1
    assert [e.type.value for e in job.unsaved_events] == ['stalled', 'unstalled']  # written behind by the recorder


def test_paused_while_stalled_it_clears_when_it_moves_after_resuming():
    job = running_job()
    stalls, published, _ = watch(job)
    job.progress.current = 1
    stalls.check(0.0)
    stalls.check(1.0)
    job.progress.current = 2
    stalls.check(2.0)  # a unit in 2 s: stalled after 20 s
    stalls.check(21.9)
    assert job.stalled_since is None
    stalls.check(22.0)
    assert job.stalled_since is not None
    job.status = Status.PAUSED
    job.meter.pause(23.0)
    stalls.check(23.0)
    stalls.on_move(job)
    assert job.stalled_since is not None  # still stalled while paused
    job.status = Status.RUNNING
    job.meter.start(100.0, 0.02, 2)
    stalls.check(100.0)
    job.progress.current = 3
    stalls.check(101.0)
    assert job.stalled_since is None and published == ['stalled', 'unstalled']
