"""Schedules (APScheduler triggers in the app's database) and jobs that wait for a time or another job."""

from __future__ import annotations

import shutil
import time
from datetime import UTC, datetime, timedelta

import pytest
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore

from progress_app.errors import InvalidParams
from progress_app.runtime.calendar.schedules import ScheduleSpec
from tests.helpers import fresh_repository, wait_until

QUICK = {'items': 1, 'item_seconds': 0}


def jobs_of(service, schedule_id: str) -> list[dict]:
    return [j for j in service.list(limit=1000)['items'] if j['schedule_id'] == schedule_id]


def test_cron_fires_at_the_expected_times():
    trigger = ScheduleSpec(kind='demo', cron='*/15 9-17 * * 1-5').trigger()
    moment = datetime(2026, 11, 20, 16, 50, tzinfo=trigger.timezone)  # a Friday
    fires = []
    for _ in range(6):
        moment = trigger.get_next_fire_time(None, moment + timedelta(seconds=1))
        fires.append(moment.strftime('%a %H:%M'))
    # Weekdays 1-5 are Monday to Friday, as in cron (APScheduler 3 alone would read them as Tuesday to Saturday).
    assert fires == ['Fri 17:00', 'Fri 17:15', 'Fri 17:30', 'Fri 17:45', 'Mon 09:00', 'Mon 09:15']


@pytest.mark.databases
def test_interval_schedule_creates_jobs_that_carry_its_id(service):
    schedule = service.schedules.create({'kind': 'demo', 'params': QUICK, 'interval_seconds': 1,
                                         'name': 'every second'})
    assert schedule['next_run_at'] and not schedule['paused']
    wait_until(lambda: len(jobs_of(service, schedule['id'])) >= 2, timeout=10)
    job = jobs_of(service, schedule['id'])[0]
    assert job['name'] == 'every second'
    assert 'notify' not in job['options']  # no notify given: the settings decide
    assert service.schedules.get(schedule['id'])['last_run_at'] is not None


def test_a_schedules_notify_choice_goes_to_every_job_it_creates(service):
    schedule = service.schedules.create({'kind': 'demo', 'params': QUICK, 'interval_seconds': 1,
                                         'notify': True})
    assert schedule['notify'] is True
    job = wait_until(lambda: jobs_of(service, schedule['id']), timeout=10)[0]
    assert job['options']['notify'] is True


@pytest.mark.databases
def test_pause_resume_and_remove(service):
    schedules = service.schedules
    schedule = schedules.create({'kind': 'demo', 'params': QUICK, 'interval_seconds': 1})
    paused = schedules.pause(schedule['id'])
    assert paused['paused'] and paused['next_run_at'] is None
    before = len(jobs_of(service, schedule['id']))
    # A witness with the same interval, made after the pause: once it has run twice, the paused one (due as
    # often, and earlier) would have run too, on the same calendar, had the pause not held.
    witness = schedules.create({'kind': 'demo', 'params': QUICK, 'interval_seconds': 1})
    wait_until(lambda: len(jobs_of(service, witness['id'])) >= 2, timeout=10, message='the witness to run twice')
    assert len(jobs_of(service, schedule['id'])) <= before + 1  # at most a run already handed off
    schedules.remove(witness['id'])
    assert not schedules.resume(schedule['id'])['paused']
    schedules.remove(schedule['id'])
    assert schedules.list() == []


@pytest.mark.parametrize(('spec', 'says'), [
    ({'kind': 'demo'}, 'exactly one of cron, interval_seconds or run_at'),
    ({'kind': 'demo', 'cron': '* * *'}, '5 fields'),
    ({'kind': 'demo', 'cron': '0 9 * * 9'}, 'does not exist'),
    ({'kind': 'demo', 'cron': '0 9 * * *', 'interval_seconds': 60}, 'exactly one'),
    ({'kind': 'demo', 'interval_seconds': 0.5}, 'greater than or equal to 1'),
    ({'kind': 'demo', 'params': {'items': -1}, 'interval_seconds': 60}, 'greater than or equal to 1'),
    ({'kind': 'demo', 'run_at': '2001-01-01T00:00:00Z'}, 'that time has passed'),
])
def test_bad_schedules_are_refused_and_nothing_is_stored(service, spec, says):
    with pytest.raises(InvalidParams, match=says):
        service.schedules.create(spec)
    assert service.schedules.list() == []


@pytest.mark.databases
def test_a_schedule_survives_a_restart_and_a_missed_run_runs_once_late(make_service, tmp_path):
    data = tmp_path / 'shared'
    first = make_service(data_dir=data)
    schedule = first.schedules.create({'kind': 'demo', 'params': QUICK, 'interval_seconds': 600,
                                       'name': 'ten-minutely'})
    url = first.config.db_url
    first.shutdown()
    # While the app is down, an hour passes: six runs are missed.
    store = SQLAlchemyJobStore(url=url)
    from apscheduler.schedulers.background import BackgroundScheduler

    scheduler = BackgroundScheduler(timezone='UTC')
    store.start(scheduler, 'schedules')
    entry = store.lookup_job(schedule['id'])
    hour_ago = datetime.now(UTC) - timedelta(hours=1)
    entry._modify(next_run_time=hour_ago, kwargs={**entry.kwargs, 'due': hour_ago.timestamp()})
    store.update_job(entry)
    store.shutdown()

    second = make_service(data_dir=data)
    assert [s['id'] for s in second.schedules.list()] == [schedule['id']]
    wait_until(lambda: jobs_of(second, schedule['id']), timeout=10)
    # The catch-up run has done its bookkeeping once the schedule records it; APScheduler moved the next run past
    # now (coalescing the missed ones) before handing that run off, so a second catch-up could not follow it.
    wait_until(lambda: second.schedules.get(schedule['id'])['last_run_at'], timeout=10)
    ran = jobs_of(second, schedule['id'])
    assert len(ran) == 1, 'missed runs are coalesced into one'
    created = second.events(ran[0]['id'])[0]
    assert created['data']['late_seconds'] == pytest.approx(3600, abs=30)
    next_run = datetime.fromisoformat(second.schedules.get(schedule['id'])['next_run_at'])
    assert next_run > datetime.now(UTC)


@pytest.mark.databases
def test_schedules_run_on_when_the_database_is_reached_by_another_url(make_service, tmp_path, database):
    """A schedule belongs to its database, not to the URL the app reached it by: a rotated password
    (PostgreSQL) or a moved data dir (SQLite) used to leave every stored schedule silently never running."""
    first = make_service(data_dir=tmp_path / 'before')
    schedule = first.schedules.create({'kind': 'demo', 'params': QUICK, 'interval_seconds': 1})
    first.shutdown()
    if database.url:
        second = make_service(data_dir=tmp_path / 'before', database_url=database.url.replace(':secret@', ':new@'))
    else:
        shutil.move(tmp_path / 'before', tmp_path / 'after')
        second = make_service(data_dir=tmp_path / 'after')
    assert second.config.db_url != first.config.db_url
    wait_until(lambda: jobs_of(second, schedule['id']), timeout=10, message='a run of the stored schedule')


def test_run_at_keeps_a_job_scheduled_until_its_time(service):
    job = service.submit('demo', QUICK, run_at=time.time() + 1.0)
    assert job['status'] == 'scheduled' and job['run_at']
    assert service.stats()['scheduled'] == 1
    done = service.wait(job['id'], ['completed'], timeout=10)
    assert [e['type'] for e in service.events(job['id'])][:3] == ['created', 'queued', 'started']
    assert done['status'] == 'completed'


@pytest.mark.databases
def test_run_at_in_the_past_while_down_runs_at_start_and_says_it_was_late(make_service, tmp_path):
    data = tmp_path / 'shared'
    first = make_service(data_dir=data)
    job = first.submit('demo', QUICK, run_at=time.time() + 3600)
    first.shutdown()
    first._engine.repo.engine.dispose()
    with fresh_repository(first.config.db_url) as repo:
        repo.save(job['id'], {'run_at': time.time() - 120})
    second = make_service(data_dir=data)
    second.wait(job['id'], ['completed'], timeout=10)
    queued = next(e for e in second.events(job['id']) if e['type'] == 'queued')
    assert queued['data']['late_seconds'] == pytest.approx(120, abs=10)


def test_after_waits_for_another_job_and_is_cancelled_when_it_fails(service):
    first = service.submit('demo', {'items': 20, 'item_seconds': 0.02})
    second = service.submit('demo', QUICK, after=first['id'])
    assert second['status'] == 'scheduled'
    done = service.wait(second['id'], ['completed'], timeout=15)
    assert service.get(first['id'])['finished_at'] <= done['started_at']
    failing = service.submit('demo', {'items': 5, 'item_seconds': 0, 'fail_at_item': 2})
    waiting = service.submit('demo', QUICK, after=failing['id'])
    cancelled = service.wait(waiting['id'], ['cancelled'], timeout=15)
    assert cancelled['error'] == f"cancelled: job #{failing['id']}, which it waited for, failed"


def test_after_a_job_that_already_completed_runs_at_once_and_unknown_is_refused(service):
    first = service.submit('demo', QUICK)
    service.wait(first['id'], ['completed'])
    assert service.wait(service.submit('demo', QUICK, after=first['id'])['id'], ['completed'])
    with pytest.raises(InvalidParams, match='job 999 does not exist'):
        service.submit('demo', QUICK, after=999)
    with pytest.raises(InvalidParams, match='not both'):
        service.submit('demo', QUICK, after=first['id'], run_at=time.time() + 60)


def test_cancelling_a_scheduled_job_disarms_it(service):
    job = service.submit('demo', QUICK, run_at=time.time() + 0.5)
    assert service.cancel(job['id'])['status'] == 'cancelled'
    assert service._engine.scheduler.get_job(f"release-{job['id']}") is None


def test_a_run_the_app_refuses_is_reported_on_the_schedule_and_the_next_one_still_comes(service):
    schedules = service.schedules
    schedule = schedules.create({'kind': 'command', 'params': {'command': 'true'}, 'interval_seconds': 1})
    service.update_preferences(allow_commands=False)
    refused = wait_until(lambda: schedules.get(schedule['id'])['last_error'], timeout=10)
    assert 'switched off' in refused
    first_refusal = schedules.get(schedule['id'])['last_run_at']
    created_before = len(jobs_of(service, schedule['id']))  # a run may have come before the switch

    service.update_preferences(allow_commands=True)
    wait_until(lambda: len(jobs_of(service, schedule['id'])) > created_before, timeout=10)
    after = wait_until(lambda: (s := schedules.get(schedule['id']))['last_error'] is None and s, timeout=10)
    assert after['last_run_at'] > first_refusal and not after['paused']
