"""CPU, memory and stalls over HTTP, against the real app (issue 17, items 7 and 4): the job JSON's `resources`,
`stalled` and `stalled_since`; `on_stall` on a submission."""

from __future__ import annotations

from tests.helpers import wait_until


def test_a_running_job_has_resources_and_on_stall_is_kept_in_its_options(app):
    made = app.client.post('/api/jobs', json={'kind': 'demo', 'params': {'items': 10_000, 'item_seconds': 0.01},
                                              'on_stall': 'fail'})
    assert made.status_code == 201, made.text
    job = made.json()
    assert job['options']['on_stall'] == 'fail'
    assert job['stalled'] is False and job['stalled_since'] is None and job['resources'] is None
    sampled = wait_until(lambda: app.job(job['id'])['resources'], timeout=10, message='a sample')
    assert set(sampled) == {'cpu_percent', 'rss_bytes', 'peak_rss_bytes', 'cpu_seconds'}
    assert sampled['cpu_seconds'] >= 0 and sampled['rss_bytes'] is None  # in the app's own thread: no process
    app.client.post(f"/api/jobs/{job['id']}/cancel")


def test_on_stall_is_warn_or_fail(app):
    bad = app.client.post('/api/jobs', json={'kind': 'demo', 'params': {'items': 1}, 'on_stall': 'explode'})
    assert bad.status_code == 422 and 'on_stall' in bad.text


def test_a_schedule_passes_on_stall_to_its_runs(app):
    made = app.client.post('/api/jobs', json={'kind': 'demo', 'params': {'items': 1, 'item_seconds': 0},
                                              'cron': '0 3 * * *', 'on_stall': 'fail'})
    assert made.status_code == 201, made.text
    schedule = made.json()
    assert schedule['on_stall'] == 'fail'
    run = app.client.post(f"/api/schedules/{schedule['id']}/run")
    assert run.status_code in (200, 201), run.text
    assert run.json()['options']['on_stall'] == 'fail'
    app.client.delete(f"/api/schedules/{schedule['id']}")
