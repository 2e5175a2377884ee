"""History aggregates by the database, with the process in a zone with daylight-saving time."""

from __future__ import annotations

from datetime import datetime

import pytest

from tests.domain.test_localtime import local


def finished_at(service, moment: float) -> None:
    job_id = service.submit('demo', {'items': 1, 'item_seconds': 0})['id']
    service.wait(job_id, ['completed'])
    service._engine.recorder.flush()  # nothing written behind may land after our values
    service._engine.repo.save(job_id, {'finished_at': moment, 'started_at': moment - 10, 'elapsed': 1.0})


@pytest.mark.databases
def test_day_buckets_follow_the_local_clock_across_a_dst_change(berlin, service):
    """2026-03-29 has 23 hours in Berlin. A job that finished at 23:30 the evening before counts for the 28th;
    with one offset for the whole range (today's, CEST) it would have slipped into the 29th."""
    for moment in (local(2026, 3, 28, 23, 30), local(2026, 3, 29, 0, 30), local(2026, 3, 29, 23, 30),
                   local(2026, 3, 30, 0, 30)):
        finished_at(service, moment)
    history = service.history(local(2026, 3, 27), now=local(2026, 3, 31, 12))
    days = [datetime.fromtimestamp(start).strftime('%d %H:%M') for start in history['starts']]
    assert days == ['27 00:00', '28 00:00', '29 00:00', '30 00:00', '31 00:00']
    assert history['counts']['completed'] == [0, 1, 2, 1, 0]
    hours = service.history(local(2026, 3, 29, 0), now=local(2026, 3, 29, 4, 30), bucket='hour')
    clock = [datetime.fromtimestamp(start).strftime('%H') for start in hours['starts'][:4]]
    assert clock == ['00', '01', '03', '04']  # 02:00-03:00 did not happen that night
    assert hours['counts']['completed'][:4] == [1, 0, 0, 0]
    # The jobs that finished after `now` (a clock set back) extend the range to their hours instead of failing.
    assert sum(hours['counts']['completed']) == 3
