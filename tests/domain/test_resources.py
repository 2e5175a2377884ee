"""A job's CPU and memory from samples on a fake clock (domain/resources.py)."""

from __future__ import annotations

from progress_app.domain.resources import THREAD, Usage, UsageMeter, columns, stored


def test_cpu_seconds_add_up_over_processes_that_come_and_go_and_percent_is_over_the_interval():
    meter = UsageMeter()
    first = meter.sample(10.0, {100: 1.0, 101: 0.5}, 1000)
    assert first == Usage(None, 1000, 1000, 1.5)
    second = meter.sample(11.0, {100: 1.9, 102: 0.1}, 400)  # 101 ended; 102 is new
    assert second.cpu_seconds == 2.5 and second.cpu_percent == 100.0
    assert second.rss_bytes == 400 and second.peak_rss_bytes == 1000


def test_the_thread_counts_from_where_the_job_started_in_it_and_totals_go_on_from_earlier_attempts():
    meter = UsageMeter(cpu_seconds=3.0, peak_rss_bytes=5000)
    usage = meter.sample(0.0, {THREAD: 7.5}, None, thread_start=7.0)
    assert usage == Usage(None, None, 5000, 3.5)
    assert meter.sample(0.5, {THREAD: 8.0}, None).cpu_percent == 100.0


def test_what_a_finished_job_keeps_and_stores():
    usage = Usage(50.0, 10, 20, 1.5)
    assert usage.ended() == Usage(None, None, 20, 1.5)
    assert columns(usage) == {'peak_rss_bytes': 20, 'cpu_seconds': 1.5} and columns(None) == {}
    assert stored({'peak_rss_bytes': 20, 'cpu_seconds': 1.5}) == usage.ended()
    assert stored({}) is None
