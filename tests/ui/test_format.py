"""Pure formatting of numbers and rows for people."""

from __future__ import annotations

import pytest

from progress_app.ui import format as fmt
from progress_app.ui import rows


@pytest.mark.parametrize(('rate', 'unit', 'text'), [
    (1_234_567, 'bytes', '1.2 MB/s'), (12.34, 'files', '12.3 files/s'), (0.25, 'frames', '4.0 s/frame'),
    (None, 'items', '—'), (0, 'items', '—'), (2.5, '%', '2.5 %/s'), (1500, 'items', '1,500 items/s'),
    (1.9, 'seconds', '1.90× realtime'), (0.62, 'seconds', '0.62× realtime'),
])
def test_speed(rate, unit, text):
    assert fmt.speed(rate, unit) == text


def test_a_job_speed_reads_as_its_meter_decided_around_one_per_second():
    job = {'speed': 0.95, 'unit': 'images'}
    assert fmt.job_speed(job | {'speed_per_unit': False}) == '0.95 images/s'
    assert fmt.job_speed(job | {'speed_per_unit': True}) == '1.1 s/image'
    assert fmt.job_speed(job | {'speed': 1.1, 'speed_per_unit': True}) == '0.9 s/image'


@pytest.mark.parametrize(('current', 'total', 'unit', 'text'), [
    (42, 100, 'items', '42 / 100 items'), (17, None, 'items', '17 items'),
    (1_200_000, 3_400_000, 'bytes', '1.2 MB / 3.4 MB'), (12.5, 100, '%', '12.5 %'), (999, None, 'bytes', '999 B'),
])
def test_count(current, total, unit, text):
    assert fmt.count(current, total, unit) == text


def test_a_job_count_is_empty_until_something_is_counted():
    job = {'current': 0, 'total': None, 'unit': 'items'}
    assert fmt.job_count(job) == ''
    assert fmt.job_count(job | {'total': 5}) == '0 / 5 items'
    assert fmt.job_count(job | {'current': 3}) == '3 items'


def test_eta():
    assert fmt.eta(None) == '—'
    assert fmt.eta(0.4) == 'almost done'
    assert fmt.eta(192) == '3 min 12 s left'


def snapshot(**changes):
    job = {'id': 7, 'name': 'n', 'kind': 'demo', 'status': 'running', 'progress': 45.0, 'stage': 'analyse',
           'stage_index': 1, 'stages': [{'name': s} for s in ('parse', 'analyse', 'integrate', 'format')],
           'message': 'working', 'current': 3, 'total': 10, 'unit': 'files', 'speed': 2.0, 'eta_seconds': 12,
           'elapsed_seconds': 30, 'started_at': 'x', 'error': None, 'has_output': False, 'queue_position': None,
           'run_at': None}
    return job | changes


def test_row_texts_and_actions():
    row = rows.row(snapshot(), {'demo': 'science'}, {'running': 'blue-7'})
    assert row['stage_text'] == '2/4 · analyse'
    assert row['timing'] == '2 files/s · 12 s left'
    assert row['counts'] == '3 / 10 files'
    assert row['actions'] == ['pause', 'cancel', 'remove']
    assert row['percent'] == '45 %'


@pytest.mark.parametrize(('status', 'extra', 'expected'), [
    ('queued', {}, ['pause', 'cancel', 'remove']),
    ('paused', {}, ['resume', 'cancel', 'remove']),
    ('failed', {}, ['retry', 'remove']),
    ('cancelled', {}, ['retry', 'remove']),
    ('completed', {'has_output': True}, ['download', 'remove']),
    ('completed', {'has_output': False}, ['remove']),
    ('scheduled', {}, ['start', 'cancel', 'remove']),
])
def test_actions_follow_the_status(status, extra, expected):
    assert rows.actions(snapshot(status=status, **extra)) == expected


def test_not_pausable_kind_has_no_pause_while_running():
    assert 'pause' not in rows.actions(snapshot(), pausable=False)


def test_failed_row_shows_the_error_and_percent_never_rounds_up_to_100_early():
    row = rows.row(snapshot(status='failed', error='boom', message='item 3'), {}, {})
    assert row['message'] == 'boom'
    assert rows.row(snapshot(progress=99.97), {}, {})['percent'] == '99 %'
    assert rows.row(snapshot(status='queued', queue_position=3), {}, {})['timing'] == '#3 in queue'
