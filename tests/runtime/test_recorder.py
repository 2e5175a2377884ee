"""The write-behind recorder against a real SQLite file."""

from __future__ import annotations

import itertools
import time

import pytest

from tests.helpers import stored_job, wait_until


def stored(service, job_id: int) -> dict:
    return stored_job(service.config.db_url, job_id)


@pytest.mark.databases
def test_checkpoints_reach_the_database_within_tens_of_milliseconds(service):
    job = service.submit('demo', {'items': 400, 'item_seconds': 0.01})
    live = service.job(job['id'])
    wait_until(lambda: live.progress.stage == 'process' and live.progress.current >= 20)
    position = live.track_positions['process#0']
    started = time.monotonic()
    wait_until(lambda: (stored(service, job['id'])['checkpoint'] or {}).get('track', {}).get('process#0', 0)
               >= position, timeout=2)
    assert time.monotonic() - started < 0.5
    service.cancel(job['id'])


@pytest.mark.databases
def test_a_stale_snapshot_never_overwrites_a_finished_row(service):
    job = service.submit('demo', {'items': 50, 'item_seconds': 0.005})
    live = service.job(job['id'])
    wait_until(lambda: live.progress.current >= 10)
    stale = live.progress_values()  # taken while it runs...
    service.wait(job['id'], ['completed'], timeout=20)
    # ...and written after it ended, as a recorder cycle racing the final status change would.
    service._engine.repo.save_many({job['id']: stale}, live_only=True)
    row = stored(service, job['id'])
    assert row['status'] == 'completed' and row['progress'] == 1.0
    assert service._engine.recorder.cycles > 0


def test_progress_snapshots_are_capped_and_spread_when_many_jobs_run(make_service):
    """100 running jobs: each gets a snapshot every 4 s (25 a second in all), at its own phase — not 100 events
    once a second, all in the same cycle."""
    service = make_service(workers=100)
    jobs = [service.submit('demo', {'items': 1000, 'item_seconds': 0.01})['id'] for _ in range(100)]
    wait_until(lambda: service.stats()['running'] == 100, timeout=30)
    repo = service._engine.repo
    after = max(e['id'] for e in repo.events_after(0))

    def snapshots() -> list[dict]:
        return [e for e in repo.events_after(after) if e['type'] == 'progress']

    # Until every job has had its snapshot (each is due once per 4 s interval): no fixed window to count in.
    progress = wait_until(lambda: (found := snapshots()) and len({e['job_id'] for e in found}) == len(jobs)
                          and found, timeout=60)
    for job_id in jobs:
        service.cancel(job_id)
    # What the recorder guarantees, whatever the machine's load (a late cycle writes what fell due meanwhile):
    # each job's snapshots are most of an interval (4 s here: 25 a second in all) apart, and they are due at the
    # jobs' own phases, so they spread over many cycles instead of coming all at once.
    per_job: dict[int, list[float]] = {}
    for event in progress:
        per_job.setdefault(event['job_id'], []).append(event['at'])
    for times in per_job.values():
        assert all(b - a >= 0.9 * 4.0 - 0.05 for a, b in itertools.pairwise(times)), times
    span = max(e['at'] for e in progress) - min(e['at'] for e in progress)
    assert len(progress) <= len(jobs) * (1 + span / (0.9 * 4.0)), (len(progress), span)
    cycles = {round(event['at'], 2) for event in progress}
    assert len(cycles) >= len(progress) / 10, (len(cycles), len(progress))
