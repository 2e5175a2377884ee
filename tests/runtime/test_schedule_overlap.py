"""A schedule that fires while its last run is still active: skip (the default), queue one, cancel the previous one,
or allow them to pile up — with real jobs on a real service."""

from __future__ import annotations

from itertools import pairwise

from progress_app.domain.status import TERMINAL
from tests.helpers import wait_until

SLOW = {'items': 3, 'item_seconds': 0.5}  # 1.5 s: longer than the 1 s between fires


def runs(service, schedule_id: str) -> list[dict]:
    """The schedule's jobs, oldest first, each as stored, with its history."""
    found = [j for j in service.list(limit=1000)['items'] if j['schedule_id'] == schedule_id]
    return [service.get(j['id']) | {'events': service.events(j['id'])}
            for j in sorted(found, key=lambda j: j['id'])]


def started_and_ended(job: dict) -> tuple[float, float]:
    times = {e['type']: e['at'] for e in job['events']}
    ended = next(e['at'] for e in reversed(job['events']) if e['type'] in {s.value for s in TERMINAL})
    return times['started'], ended


def assert_one_at_a_time(done: list[dict]) -> None:
    spans = [started_and_ended(job) for job in done]
    for (_, ended), (started, _) in pairwise(spans):
        assert started >= ended, f'a run started at {started} while the one before ran until {ended}'


def test_by_default_a_fire_while_the_last_run_is_active_is_skipped_and_counted(service):
    schedule = service.schedules.create({'kind': 'demo', 'params': SLOW, 'interval_seconds': 1})
    assert schedule['overlap'] == 'skip' and schedule['skipped_runs'] == 0
    wait_until(lambda: service.schedules.get(schedule['id'])['skipped_runs'] >= 2
               and sum(j['status'] == 'completed' for j in runs(service, schedule['id'])) >= 2, timeout=60)
    service.schedules.pause(schedule['id'])
    shown = service.schedules.get(schedule['id'])
    assert shown['last_skipped_at'] is not None
    done = [j for j in runs(service, schedule['id']) if j['status'] == 'completed']
    assert_one_at_a_time(done)
    for earlier, later in pairwise(done):  # skip: not even created while one was active
        assert later['events'][0]['at'] >= started_and_ended(earlier)[1]


def test_queue_keeps_one_run_waiting_that_starts_when_the_last_one_ends_however_it_ends(service):
    schedule = service.schedules.create({'kind': 'demo', 'params': {'items': 400, 'item_seconds': 0.05},
                                         'interval_seconds': 1, 'overlap': 'queue'})
    first = wait_until(lambda: [j for j in runs(service, schedule['id']) if j['status'] == 'running'],
                       timeout=30)[0]
    waiting = wait_until(lambda: [j for j in runs(service, schedule['id']) if j['status'] == 'scheduled'],
                         timeout=30)[0]
    wait_until(lambda: service.schedules.get(schedule['id'])['skipped_runs'] >= 1, timeout=30)
    assert [j['id'] for j in runs(service, schedule['id'])] == [first['id'], waiting['id']], 'one waits, no more'
    service.schedules.pause(schedule['id'])
    service.cancel(first['id'])  # a cancelled run lets the waiting one go too: it waits for the end, not success
    wait_until(lambda: service.get(waiting['id'])['status'] in ('queued', 'running'), timeout=30)
    released = [e for e in service.events(waiting['id']) if e['type'] == 'queued'][-1]
    assert released['data']['reason'] == f"job #{first['id']} cancelled"
    service.cancel(waiting['id'])


def test_cancel_previous_replaces_the_active_run_and_allow_lets_them_pile_up(service):
    replacing = service.schedules.create({'kind': 'demo', 'params': {'items': 400, 'item_seconds': 0.05},
                                          'interval_seconds': 1, 'overlap': 'cancel_previous'})
    piling = service.schedules.create({'kind': 'demo', 'params': {'items': 400, 'item_seconds': 0.05},
                                       'interval_seconds': 1, 'overlap': 'allow'})
    wait_until(lambda: len(runs(service, replacing['id'])) >= 2 and len(runs(service, piling['id'])) >= 2,
               timeout=30)
    service.schedules.pause(replacing['id'])
    service.schedules.pause(piling['id'])
    replaced = runs(service, replacing['id'])
    wait_until(lambda: service.get(replaced[0]['id'])['status'] == 'cancelled', timeout=30)
    assert service.schedules.get(piling['id'])['skipped_runs'] == 0
    assert sum(j['status'] not in {s.value for s in TERMINAL} for j in runs(service, piling['id'])) >= 2
    for job in runs(service, replacing['id']) + runs(service, piling['id']):
        if job['status'] not in {s.value for s in TERMINAL}:
            service.cancel(job['id'], wait=0)
