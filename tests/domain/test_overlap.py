"""A schedule's overlap policy, decided from the runs it has active."""

from __future__ import annotations

import pytest

from progress_app.domain.overlap import Fire, decide

RUNNING = [(7, 'running')]


@pytest.mark.parametrize('policy', ['skip', 'queue', 'cancel_previous', 'allow'])
def test_with_nothing_active_every_policy_runs(policy):
    assert decide(policy, []) == Fire(submit=True)


def test_skip_skips_while_a_run_is_active_in_any_unfinished_status():
    for status in ('scheduled', 'queued', 'running', 'paused', 'cancelling'):
        assert decide('skip', [(7, status)]).skipped


def test_queue_lets_one_run_wait_for_the_newest_active_one():
    assert decide('queue', [(3, 'paused'), (7, 'running')]) == Fire(submit=True, after=7)
    assert decide('queue', [(7, 'running'), (8, 'scheduled')]).skipped, 'one waits already'
    assert decide('queue', [(7, 'queued')]).skipped, 'a run queued for a worker slot is waiting too'


def test_cancel_previous_cancels_every_active_run_and_allow_piles_up():
    assert decide('cancel_previous', [(3, 'paused'), (7, 'running')]) == Fire(submit=True, cancel=(3, 7))
    assert decide('allow', RUNNING) == Fire(submit=True)
