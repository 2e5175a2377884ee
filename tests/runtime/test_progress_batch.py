"""Batched progress on a real asyncio loop: one shared frame per flush, state messages before it, and a slow
subscriber that skips to the newest progress instead of buffering it."""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Awaitable, Callable

import pytest

from progress_app.runtime.live.bus import EventBus, to_json
from tests.runtime.test_bus import Reporting, settle


def on_bus(scenario: Callable[[EventBus], Awaitable[None]], **options: float) -> None:
    async def run() -> None:
        bus = EventBus(**options)
        bus.attach(asyncio.get_running_loop())
        try:
            await scenario(bus)
        finally:
            bus.detach()

    asyncio.run(run())


def advance(bus: EventBus, jobs: list[Reporting], current: int) -> None:
    for job in jobs:
        job.current = current
        bus.publish_progress(job)


def seen(messages: list[dict]) -> list[tuple[str, dict[int, int]]]:
    """Each message as (type, {job id: current}) for short assertions."""
    return [(m['type'], {s['id']: s['current'] for s in m['jobs']} if 'jobs' in m
             else {m['job']['id']: m['job']['current']}) for m in messages]


def test_batch_subscribers_share_one_frame_per_flush_with_every_moved_job():
    async def scenario(bus: EventBus) -> None:
        a, b = bus.subscribe(batch=True), bus.subscribe(batch=True)
        single = bus.subscribe()
        jobs = [Reporting(i) for i in range(200)]
        before = time.time()
        advance(bus, jobs, 1)
        after = time.time()
        await settle()
        [frame] = a.drain(100)
        [other] = b.drain(100)
        assert other is frame and frame['type'] == 'job_progress_batch'
        assert [s['id'] for s in frame['jobs']] == list(range(200)), 'no budget: every job that moved'
        assert before <= frame['at'] <= after, 'at: when the oldest change it reports came'
        assert len(single.drain(1000)) < len(jobs), 'a single-message stream still has its budget'

    on_bus(scenario, fan_out_per_second=1.0)


def test_the_frame_object_is_the_same_for_every_subscriber():
    async def scenario(bus: EventBus) -> None:
        subs = [bus.subscribe(batch=True) for _ in range(5)]
        advance(bus, [Reporting(1), Reporting(2)], 3)
        await settle()
        frames = [sub.drain(10)[0] for sub in subs]
        assert all(frame is frames[0] for frame in frames)
        assert len({id(to_json(frame)) for frame in frames}) == 1

    on_bus(scenario)


def test_state_messages_go_first_and_the_frame_is_never_older_than_them():
    async def scenario(bus: EventBus) -> None:
        sub = bus.subscribe(batch=True)
        one, two = Reporting(1), Reporting(2)
        advance(bus, [one, two], 1)
        one.current = 2
        bus.publish_state(one, None)  # its progress published before is carried by the state message
        advance(bus, [two], 3)
        await settle()
        assert seen(sub.drain(10)) == [('job_update', {1: 2}), ('job_progress_batch', {2: 3})]
        bus.publish_state(one, None, 'job_removed')
        advance(bus, [one], 4)  # moved after the state change: goes in the frame, after it
        await settle()
        assert seen(sub.drain(10)) == [('job_removed', {1: 4}), ('job_progress_batch', {1: 4})]

    on_bus(scenario)


def test_a_slow_subscriber_holds_one_merged_frame_and_its_state_messages():
    async def scenario(bus: EventBus) -> None:
        slow = bus.subscribe(batch=True)
        jobs = [Reporting(i) for i in range(4)]
        advance(bus, jobs[:3], 1)
        await settle()
        first = time.time()
        jobs[1].current = 2
        bus.publish_state(jobs[1], None)
        await settle()
        advance(bus, jobs[:2], 3)
        await settle()
        jobs[2].current = 4
        bus.publish_state(jobs[2], None)
        await settle()
        for current in range(5, 105):  # many ticks the slow client does not read
            advance(bus, [jobs[3]], current)
            await settle()
        messages = slow.drain(1000)
        # The merged frame goes last; job 2's snapshot in it went, as the state message after it is newer.
        assert seen(messages) == [('job_update', {1: 2}), ('job_update', {2: 4}),
                                  ('job_progress_batch', {0: 3, 1: 3, 3: 104})]
        assert messages[2]['at'] < first, 'the merged frame keeps the oldest change time'
        assert slow.dropped >= 100

    on_bus(scenario)


@pytest.mark.parametrize('maxsize', [50, 10_000])
def test_a_client_never_sees_a_job_go_back_whatever_it_reads_when(maxsize):
    """Jobs only move forward; whatever a slow client reads when, each job's snapshots never go back, and once it
    reads everything it has every job's newest (unless its queue overflowed: then progress went first)."""
    async def scenario(bus: EventBus) -> None:
        rng = random.Random(19)
        sub = bus.subscribe(batch=True, maxsize=maxsize)
        jobs = [Reporting(i) for i in range(30)]
        last: dict[int, int] = {}
        received = 0

        def read(limit: int) -> None:
            nonlocal received
            for kind, currents in seen(sub.drain(limit)):
                received += 1
                for job_id, current in currents.items():
                    assert current >= last.get(job_id, 0), (kind, job_id, current, last[job_id])
                    last[job_id] = current

        for step in range(1, 400):
            for job in rng.sample(jobs, 8):
                job.current = step
                if rng.random() < 0.2:
                    bus.publish_state(job, None)
                else:
                    bus.publish_progress(job)
            if rng.random() < 0.5:
                await settle()
            if rng.random() < 0.3:
                read(rng.randint(1, 5))
        await settle()
        read(10_000)
        assert received > 100 and sub.dropped, 'frames were merged (or dropped)'
        if maxsize > 1000:
            assert last == {job.id: job.current for job in jobs if job.current}

    on_bus(scenario)


def test_watchers_get_every_state_message_and_every_moved_job_beside_batch_streams():
    async def scenario(bus: EventBus) -> None:
        calls: list[tuple[list[str], set[int]]] = []
        bus.watch(lambda state, moved: calls.append(([m['type'] for m in state], set(moved))))
        bus.subscribe(batch=True)
        jobs = [Reporting(i) for i in range(300)]
        advance(bus, jobs, 1)
        bus.publish_state(jobs[0], None)
        await settle()
        assert calls == [(['job_update'], set(range(1, 300)))]

    on_bus(scenario, fan_out_per_second=1.0)


def test_following_one_job_drops_the_queued_frame_and_gets_that_jobs_progress_one_by_one():
    async def scenario(bus: EventBus) -> None:
        sub = bus.subscribe(batch=True)
        jobs = [Reporting(1), Reporting(2)]
        advance(bus, jobs, 1)
        bus.publish_state(jobs[1], None)
        await settle()
        sub.follow(2)
        assert seen(sub.drain(10)) == [('job_update', {2: 1})]
        advance(bus, jobs, 2)
        await settle()
        assert seen(sub.drain(10)) == [('job_progress', {2: 2})]

    on_bus(scenario)
