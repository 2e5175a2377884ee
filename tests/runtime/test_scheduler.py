"""The engine's APScheduler subclass: shutting down while a job is being processed must not kill its thread."""

from __future__ import annotations

import threading

from apscheduler.triggers.base import BaseTrigger

from progress_app.runtime.calendar.scheduler import Scheduler


class HeldOnce(BaseTrigger):
    """Fires once; holds the scheduler's processing pass (under its job-store lock) until released."""

    def __init__(self) -> None:
        self.in_pass = threading.Event()
        self.release = threading.Event()

    def get_next_fire_time(self, previous_fire_time, now):
        if previous_fire_time is None:
            return now
        self.in_pass.set()
        self.release.wait(10)
        return None  # a one-shot job: APScheduler removes it from its store now


def test_shutdown_during_a_processing_pass_leaves_the_scheduler_thread_healthy(monkeypatch):
    thread_errors: list[BaseException] = []
    monkeypatch.setattr(threading, 'excepthook', lambda args: thread_errors.append(args.exc_value))
    ran = threading.Event()
    trigger = HeldOnce()
    scheduler = Scheduler(timezone='UTC')
    scheduler.start()
    scheduler.add_job(ran.set, trigger)
    assert trigger.in_pass.wait(10), 'the scheduler never processed the job'

    stopper = threading.Thread(target=scheduler.shutdown, kwargs={'wait': False})
    stopper.start()
    stopper.join(0.3)  # room for a shutdown that does not wait for the pass to mark itself stopped mid-pass
    assert stopper.is_alive(), 'shutdown returned while a processing pass was still in flight'
    trigger.release.set()
    stopper.join(10)

    assert not stopper.is_alive()
    assert ran.wait(10)
    assert thread_errors == []
