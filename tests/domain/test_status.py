from __future__ import annotations

import itertools

import pytest

from progress_app.domain.events import Event, EventType
from progress_app.domain.status import (
    ACTIONS,
    ACTIVE_NAMES,
    FINISHED_NAMES,
    TERMINAL,
    TRANSITIONS,
    Status,
    can_transition,
    transition,
)
from progress_app.errors import IllegalTransition, ProgressAppError

S = Status

# The table of DESIGN.md ("Domain"), written out again here so a change to TRANSITIONS has to be deliberate.
ALLOWED = {
    (S.SCHEDULED, S.QUEUED), (S.SCHEDULED, S.CANCELLED),
    (S.QUEUED, S.RUNNING), (S.QUEUED, S.PAUSED), (S.QUEUED, S.CANCELLED),
    (S.RUNNING, S.PAUSED), (S.RUNNING, S.COMPLETED), (S.RUNNING, S.FAILED), (S.RUNNING, S.CANCELLED),
    (S.RUNNING, S.QUEUED), (S.RUNNING, S.CANCELLING), (S.RUNNING, S.SCHEDULED),
    (S.PAUSED, S.RUNNING), (S.PAUSED, S.QUEUED), (S.PAUSED, S.CANCELLED), (S.PAUSED, S.CANCELLING),
    (S.CANCELLING, S.CANCELLED), (S.CANCELLING, S.COMPLETED), (S.CANCELLING, S.FAILED),
    (S.FAILED, S.QUEUED), (S.CANCELLED, S.QUEUED),
}
ALL_PAIRS = list(itertools.product(Status, repeat=2))


def pair_id(pair: tuple[Status, Status]) -> str:
    return f'{pair[0].value}->{pair[1].value}'


def test_the_table_covers_every_status_and_matches_the_design() -> None:
    assert len(ALL_PAIRS) == 64
    assert set(TRANSITIONS) == set(Status)
    assert {(a, b) for a, targets in TRANSITIONS.items() for b in targets} == ALLOWED


@pytest.mark.parametrize('pair', ALL_PAIRS, ids=pair_id)
def test_transition_allows_exactly_the_pairs_of_the_table(pair: tuple[Status, Status]) -> None:
    current, target = pair
    if pair in ALLOWED:
        assert transition(current, target, 'act') is target
        assert can_transition(current, target)
    else:
        assert not can_transition(current, target)
        with pytest.raises(IllegalTransition) as info:
            transition(current, target, 'act')
        assert str(info.value).startswith(f'cannot act a job that is {current.value}: ')


@pytest.mark.parametrize(('current', 'target', 'action', 'expected'), [
    (S.COMPLETED, S.PAUSED, 'pause', 'cannot pause a job that is completed: it has completed; run it again as a new '
                                     'job instead'),
    (S.COMPLETED, S.QUEUED, 'retry', 'cannot retry a job that is completed: it has completed; run it again as a new '
                                     'job instead'),
    (S.CANCELLED, S.PAUSED, 'pause', 'cannot pause a job that is cancelled: it was cancelled; retry it instead'),
    (S.FAILED, S.RUNNING, 'resume', 'cannot resume a job that is failed: it has failed; retry it instead'),
    (S.SCHEDULED, S.PAUSED, 'pause', 'cannot pause a job that is scheduled: it has not started yet'),
    (S.QUEUED, S.COMPLETED, None, 'cannot complete a job that is queued: it is waiting in the queue'),
    (S.COMPLETED, S.RUNNING, None, 'cannot start a job that is completed: it has completed; run it again as a new '
                                   'job instead'),
    (S.RUNNING, S.RUNNING, None, 'cannot start a job that is running: it is running'),
    (S.PAUSED, S.PAUSED, 'pause', 'cannot pause a job that is paused: it is paused'),
    (S.CANCELLING, S.PAUSED, 'pause', 'cannot pause a job that is cancelling: it is being cancelled: it stops at its '
                                      'next check point'),
    (S.CANCELLING, S.QUEUED, 'retry', 'cannot retry a job that is cancelling: it is being cancelled: it stops at '
                                      'its next check point'),
])
def test_the_message_names_the_action_and_the_status_in_plain_words(
        current: Status, target: Status, action: str | None, expected: str) -> None:
    with pytest.raises(IllegalTransition) as info:
        transition(current, target, action)
    assert str(info.value) == expected


@pytest.mark.parametrize('current', list(Status), ids=str)
def test_every_status_has_a_reason_and_a_default_verb(current: Status) -> None:
    for target in Status:
        if (current, target) not in ALLOWED:
            with pytest.raises(IllegalTransition, match=rf'^cannot \w+ a job that is {current.value}: \w'):
                transition(current, target)


def test_illegal_transition_is_one_of_our_errors() -> None:
    assert issubclass(IllegalTransition, ProgressAppError)


def test_plain_strings_are_accepted_as_statuses() -> None:
    assert transition('running', 'paused', 'pause') is S.PAUSED
    assert can_transition('failed', 'queued')
    assert not can_transition('completed', 'queued')
    with pytest.raises(IllegalTransition, match='cannot retry a job that is completed'):
        transition('completed', 'queued', 'retry')
    with pytest.raises(ValueError, match='bogus'):
        transition('bogus', 'queued')


def test_status_is_a_str_enum_with_the_documented_values() -> None:
    assert [s.value for s in Status] == ['scheduled', 'queued', 'running', 'paused', 'cancelling', 'completed',
                                         'failed', 'cancelled']
    assert S.RUNNING == 'running'
    assert Status('paused') is S.PAUSED


@pytest.mark.parametrize('status', list(Status), ids=str)
def test_terminal_and_active_are_complementary(status: Status) -> None:
    assert status.is_terminal == (status in {S.COMPLETED, S.FAILED, S.CANCELLED})
    assert status.is_active != status.is_terminal


def test_terminal_set_and_what_leaves_it() -> None:
    assert frozenset({S.COMPLETED, S.FAILED, S.CANCELLED}) == TERMINAL
    assert TRANSITIONS[S.COMPLETED] == frozenset()  # "run again" makes a new job
    for status in TERMINAL - {S.COMPLETED}:
        assert TRANSITIONS[status] == frozenset({S.QUEUED})  # retry is the only way out


def test_every_active_status_can_be_cancelled() -> None:
    for status in Status:
        if status.is_active:
            assert can_transition(status, S.CANCELLED)


def test_a_job_being_cancelled_never_goes_back_to_the_queue() -> None:
    assert S.CANCELLING.is_active and not can_transition(S.CANCELLING, S.QUEUED)
    assert ACTIVE_NAMES == ('scheduled', 'queued', 'running', 'paused', 'cancelling')


def test_event_types_and_their_dict_form() -> None:
    assert [t.value for t in EventType] == [
        'created', 'queued', 'started', 'stage', 'progress', 'message', 'paused', 'resumed', 'interrupted',
        'retried', 'completed', 'failed', 'cancelling', 'cancelled', 'removed', 'attempt_failed', 'stalled',
        'unstalled', 'overdue', 'reattached']
    event = Event(id=7, job_id=3, seq=2, at=1700000000.5, type=EventType.STAGE, data={'stage': 'parse'})
    assert event.to_dict() == {'id': 7, 'job_id': 3, 'seq': 2, 'at': 1700000000.5, 'type': 'stage',
                               'data': {'stage': 'parse'}}
    assert Event(id=1, job_id=1, seq=1, at=0.0, type=EventType.CREATED).data == {}


# Where each action the UI offers takes a job: one of these moves must be in the transition table.
ACTION_TARGETS = {'start': {S.QUEUED}, 'pause': {S.PAUSED}, 'resume': {S.RUNNING, S.QUEUED},
                  'cancel': {S.CANCELLED, S.CANCELLING}, 'retry': {S.QUEUED}}


@pytest.mark.parametrize('status', list(Status), ids=str)
def test_every_action_a_status_offers_is_a_move_the_table_allows(status: Status) -> None:
    for action in ACTIONS[status]:
        if action in ACTION_TARGETS:
            assert ACTION_TARGETS[action] & TRANSITIONS[status], f'{action} offered for a {status} job'
        else:
            assert action in ('download', 'remove')
    assert 'remove' in ACTIONS[status] and ('download' in ACTIONS[status]) == (status is S.COMPLETED)


def test_finished_and_active_statuses_split_them_all() -> None:
    assert FINISHED_NAMES == ('completed', 'failed', 'cancelled')
    assert set(FINISHED_NAMES) | set(ACTIVE_NAMES) == {s.value for s in Status}
    assert not set(FINISHED_NAMES) & set(ACTIVE_NAMES)
