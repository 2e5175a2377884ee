"""The sampler looks at the jobs a page follows closely between its ticks, on a real bus and loop: their changes
reach the pages at once, the others' wait for the tick, and the streams keep the tick's pace."""

from __future__ import annotations

import asyncio

from progress_app.domain.progress import Stage
from progress_app.domain.status import Status
from progress_app.runtime.engine.job import Job
from progress_app.runtime.live.bus import EventBus
from progress_app.runtime.live.sampler import Sampler


def running(job_id: int) -> Job:
    return Job(id=job_id, name=f'j{job_id}', kind='demo', status=Status.RUNNING, priority=0, params={},
               stages=(Stage('run', 1.0),), created_at=0.0)


async def settle() -> None:
    for _ in range(3):
        await asyncio.sleep(0)


def test_a_followed_job_is_published_between_ticks_and_the_others_wait_for_theirs():
    async def scenario() -> None:
        bus = EventBus()
        bus.attach(asyncio.get_running_loop())
        jobs = {job_id: running(job_id) for job_id in (1, 2)}
        sampler = Sampler(lambda: jobs.values(), bus, jobs.get)
        moved: list[set[int]] = []
        unwatch = bus.watch(lambda state, changed: moved.append(set(changed)))
        release = bus.focus(1)
        try:
            assert bus.focused() == [1]
            sampler.sample(0.0)  # the tick: both are seen (and published)
            await settle()
            assert set().union(*moved) == {1, 2}
            moved.clear()
            for job in jobs.values():
                job.progress.message = 'moved'
            sampler.sample_focused(bus.focused())
            await settle()
            assert set().union(*moved) == {1}, moved
            moved.clear()
            sampler.sample_focused(bus.focused())  # nothing new since
            sampler.sample(0.1)  # the tick takes both, for the streams too (a page is shown job 1 as it was)
            await settle()
            assert set().union(*moved) == {1, 2}, moved
            release()
            release()  # twice is once
            assert bus.focused() == []
        finally:
            unwatch()
            bus.detach()

    asyncio.run(scenario())


def test_the_streams_get_a_followed_job_at_the_ticks_pace_only():
    async def scenario() -> None:
        bus = EventBus()
        bus.attach(asyncio.get_running_loop())
        job = running(1)
        sampler = Sampler(lambda: [job], bus, {1: job}.get)
        pages: list[set[int]] = []
        unwatch = bus.watch(lambda state, changed: pages.append(set(changed)))
        first, second = bus.focus(1), bus.focus(1)
        stream, one = bus.subscribe(), bus.subscribe(job_id=1)
        try:
            sampler.sample(0.0)
            await settle()
            stream.drain(100), one.drain(100)
            pages.clear()
            job.progress.message = 'moved'
            sampler.sample_focused(bus.focused())
            await settle()
            assert pages == [{1}]
            assert stream.drain(100) == [] and one.drain(100) == [], 'a glimpse is for the pages only'
            sampler.sample(0.1)  # the tick brings the change to the streams
            await settle()
            assert [m['job']['message'] for m in one.drain(100)] == ['moved']
            first()
            assert bus.focused() == [1], 'another page still follows the job'
            second()
            assert bus.focused() == []
        finally:
            unwatch()
            stream.close()
            one.close()
            bus.detach()

    asyncio.run(scenario())
