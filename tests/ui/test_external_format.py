"""Pure texts of external runs: where a script runs, how long since it reported, its row's actions and chip."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from progress_app.ui import external, rows
from progress_app.ui.components.script_snippets import setup, snippets
from tests.ui.test_format import snapshot

NOW = datetime(2026, 12, 3, 0, 30, tzinfo=UTC).timestamp()


def stamp(seconds_ago: float) -> str:
    return datetime.fromtimestamp(NOW - seconds_ago, UTC).isoformat().replace('+00:00', 'Z')


def run(status: str = 'running', seconds_ago: float = 3, **facts) -> dict:
    return snapshot(kind='external', status=status, external={
        'host': 'build-box', 'pid': 4242, 'user': 'alice', 'command': 'rsync -a src/ dst/', 'lease_seconds': 60,
        'resume_key': None, 'last_report_at': stamp(seconds_ago), 'resume_state': None} | facts)


def test_where_names_host_pid_and_user_as_given():
    assert external.where(run()['external']) == 'build-box · pid 4242 · alice'
    assert external.where({'host': 'nas', 'pid': None, 'user': None}) == 'nas'


@pytest.mark.parametrize(('seconds_ago', 'text', 'lateness'), [
    (0.3, 'last report just now', ''), (12, 'last report 12 s ago', ''), (30, 'last report 30 s ago', ''),
    (31, 'last report 31 s ago', 'late'), (75, 'last report 1 min 15 s ago', 'lost'),
])
def test_the_last_report_ticks_and_turns_late_past_half_the_lease(seconds_ago, text, lateness):
    job = run(seconds_ago=seconds_ago)
    assert external.report_text(job, NOW) == text
    assert external.lateness(job, NOW) == lateness


def test_a_finished_run_is_never_late_and_says_when_it_last_reported():
    job = run('failed', seconds_ago=600)
    assert external.lateness(job, NOW) == ''
    assert external.report_text(job, NOW).startswith('last report at 2026-12-')
    assert external.report_text(run(last_report_at=None), NOW) == 'no report yet'


def test_an_external_run_is_never_retried_by_the_app():
    assert rows.actions(run('failed')) == ['remove']
    assert rows.actions(run('cancelled')) == ['remove']
    assert not rows.can_restart(run('completed'))
    assert rows.can_restart(snapshot(status='completed'))
    assert rows.actions(run()) == ['pause', 'cancel', 'remove']


def test_a_job_asked_to_pause_says_pausing_and_offers_resume_to_take_it_back():
    asked = run() | {'pause_requested': True}
    assert rows.status_text(asked) == 'pausing…'
    assert rows.actions(asked) == ['resume', 'cancel', 'remove']
    assert rows.status_text(snapshot(pause_requested=True)) == 'pausing…'  # any job
    assert rows.status_text(run('paused')) == 'paused'


def test_the_row_of_an_external_run_names_its_host_with_the_rest_in_a_tooltip():
    row = rows.row(run(seconds_ago=40), {}, {}, now=NOW)
    assert (row['icon'], row['runs_on'], row['late']) == (external.ICON, 'on build-box', 'late')
    assert row['where'] == 'build-box · pid 4242 · alice · rsync -a src/ dst/ · last report 40 s ago'
    assert rows.row(snapshot(), {}, {})['runs_on'] == ''
    assert rows.row(run(host=None, pid=None, user=None), {}, {}, now=NOW)['runs_on'] == 'elsewhere'
    assert external.where({'host': None, 'pid': None, 'user': None}) == 'an unnamed host'


def test_snippets_use_the_apps_address_and_a_token_only_with_a_password():
    assert setup('http://127.0.0.1:8080', password=False) == ''
    assert setup('http://nas:9000', password=True).splitlines() == [
        'export PROGRESS_APP_URL=http://nas:9000',
        "export PROGRESS_APP_TOKEN='<an API token from Settings, or the password>'"]
    http = {s.name: s for s in snippets('http://nas:9000', password=True)}['http'].code
    assert 'http://nas:9000/api/runs' in http and 'http://nas:9000/api/jobs/$id/report' in http
    assert http.count('Authorization: Bearer $PROGRESS_APP_TOKEN') == 3
    assert 'Authorization' not in ''.join(s.code for s in snippets('http://127.0.0.1:8080', password=False))


def test_a_reattached_run_says_from_where_in_its_history():
    from progress_app.ui.components.event_history import event_detail

    assert event_detail({'type': 'reattached', 'data': {'host': 'build-box', 'pid': 4242, 'attempt': 2}}) == \
        'on build-box, pid 4242, attempt: 2'
    assert event_detail({'type': 'reattached', 'data': {'host': 'nas', 'pid': None, 'after_seconds': 75}}) == \
        'on nas, 1 min 15 s without a report'
