"""The event bus on a real asyncio loop: who gets what, and the all-jobs streams' progress budget."""

from __future__ import annotations

import asyncio
from typing import Any

from progress_app.runtime.live.bus import BURST_SECONDS, EventBus


class Reporting:
    """Stands in for a live job: the bus needs only its id and its snapshot."""

    def __init__(self, job_id: int) -> None:
        self.id = job_id
        self.current = 0

    def snapshot(self) -> dict[str, Any]:
        return {'id': self.id, 'current': self.current}


async def settle() -> None:
    for _ in range(3):
        await asyncio.sleep(0)


def progress_of(sub) -> dict[int, int]:
    return {m['job']['id']: m['job']['current'] for m in sub.drain(10_000) if m['type'] == 'job_progress'}


def test_all_jobs_streams_share_a_budget_and_every_job_gets_its_turn():
    async def scenario() -> None:
        bus = EventBus(fan_out_per_second=100.0)  # one stream: 100 a second, 20 saved up at most
        bus.attach(asyncio.get_running_loop())
        try:
            everything = bus.subscribe()
            jobs = [Reporting(i) for i in range(60)]
            for job in jobs:
                job.current = 1
                bus.publish_progress(job)
            await settle()
            first = progress_of(everything)
            assert len(first) == int(100 * BURST_SECONDS), first
            for job in jobs:  # more news from every job: the ones not yet shown go first
                job.current = 2
                bus.publish_progress(job)
            seen = dict(first)
            for _ in range(100):
                await asyncio.sleep(0.02)
                seen.update(progress_of(everything))
                if len(seen) == len(jobs) and set(seen.values()) == {2}:
                    break
            assert set(seen) == {job.id for job in jobs}, 'a job never got its turn'
            assert set(seen.values()) == {2}, 'a job was shown with old progress'
        finally:
            bus.detach()

    asyncio.run(scenario())


def test_a_job_stream_gets_its_job_at_full_rate_and_state_always_goes_out():
    async def scenario() -> None:
        bus = EventBus(fan_out_per_second=1.0)  # next to nothing for the all-jobs streams
        bus.attach(asyncio.get_running_loop())
        try:
            one = bus.subscribe(job_id=7)
            quiet = bus.subscribe(progress=False)
            everything = bus.subscribe()
            jobs = [Reporting(i) for i in range(10)]
            for round_ in range(5):
                for job in jobs:
                    job.current = round_
                    bus.publish_progress(job)
                await settle()
                assert progress_of(one) == {7: round_}
            bus.publish_state(jobs[3], None)
            await settle()
            assert [m['type'] for m in quiet.drain(100)] == ['job_update']
            assert [m['job']['id'] for m in one.drain(100)] == []
            assert any(m['type'] == 'job_update' for m in everything.drain(100))
        finally:
            bus.detach()

    asyncio.run(scenario())


def test_following_one_job_drops_what_was_queued_for_others():
    async def scenario() -> None:
        bus = EventBus()
        bus.attach(asyncio.get_running_loop())
        try:
            sub = bus.subscribe()
            for job_id in (1, 2, 3):
                bus.publish_state(Reporting(job_id), None)
            await settle()
            sub.follow(2)
            assert [m['job']['id'] for m in sub.drain(100)] == [2]
            bus.publish_state(Reporting(1), None)
            bus.publish_state(Reporting(2), None)
            await settle()
            assert [m['job']['id'] for m in sub.drain(100)] == [2]
        finally:
            bus.detach()

    asyncio.run(scenario())
