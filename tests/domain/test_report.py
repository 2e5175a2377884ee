"""The pure parts of external runs: what an update means, what the script is told, and leases on a fake clock."""

from __future__ import annotations

import pytest

from progress_app.domain.lease import Leases
from progress_app.domain.report import Ending, RunOpen, Update, control, ending, parse_run, parse_updates
from progress_app.domain.status import Status, can_transition, transition
from progress_app.errors import IllegalTransition, InvalidParams


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_lease_runs_out_after_its_seconds_without_a_report() -> None:
    clock = FakeClock()
    leases = Leases(clock)
    leases.renew(1, 10)
    leases.renew(2, 60)
    clock.now += 10
    assert leases.expired() == [] and leases.overdue(1) is None  # exactly the lease: not yet
    clock.now += 0.5
    assert leases.expired() == [1] and leases.overdue(1) == 10.5 and leases.overdue(2) is None
    leases.renew(1, 10)  # a report: it counts from now
    assert leases.expired() == [] and leases.silent_for(1) == 0
    clock.now += 61
    assert leases.expired() == [2, 1]  # the longest silent first
    leases.forget(2)
    assert leases.expired() == [1] and 2 not in leases and leases.silent_for(2) is None


def test_an_update_s_progress_is_a_fraction_or_a_percent() -> None:
    assert Update(progress=0.42).percent_given() == pytest.approx(42)
    assert Update(progress=1).percent_given() == 100
    assert Update(progress=42).percent_given() == 42  # above 1: a percent, as the command kind's JSON lines
    assert Update(percent=7, progress=0.5).percent_given() == 7
    assert Update(current=3).percent_given() is None
    assert Update(log='one').log_lines() == ['one'] and Update(log=['a', 'b']).log_lines() == ['a', 'b']
    assert Update(total=None).sets_total and not Update().sets_total
    assert Update(checkpoint=None).has_checkpoint and not Update().has_checkpoint


def test_how_a_run_ends() -> None:
    assert ending(Update(current=1)) is None and ending(Update(done=False)) is None
    assert ending(Update(done=True, result=[1])) == Ending(Status.COMPLETED, result=[1])
    assert ending(Update(done=True, exit_code=0)) == Ending(Status.COMPLETED, exit_code=0)
    assert ending(Update(done=True, exit_code=2)) == Ending(Status.FAILED, error='exit code 2', exit_code=2)
    assert ending(Update(done=True, error='boom', traceback='tb')).error == 'boom'
    assert ending(Update(done=True, cancelled=True, exit_code=1)).status is Status.CANCELLED
    # Cronicle's words
    assert ending(Update(complete=True, code=0)).status is Status.COMPLETED
    assert ending(Update(complete=True, code=5, description='disk full')) == Ending(
        Status.FAILED, error='disk full', exit_code=5)


def test_what_the_script_is_told() -> None:
    assert control(Status.RUNNING, False, False) == 'run'
    assert control(Status.RUNNING, True, False) == 'pause'
    assert control(Status.PAUSED, False, False) == 'pause'
    assert control(Status.RUNNING, True, True) == 'cancel'
    assert control(Status.CANCELLING, False, False) == control(Status.CANCELLED, False, False) == 'cancel'
    assert control(Status.FAILED, False, False) == 'run'  # a report takes a run its lease failed up again


def test_bodies_are_checked_field_by_field() -> None:
    with pytest.raises(InvalidParams) as bad:
        parse_updates([{}, {'progress': 101}])
    assert [e['loc'] for e in bad.value.errors] == [[1, 'progress']]
    with pytest.raises(InvalidParams) as bad:
        parse_updates({'currnet': 1})
    assert bad.value.errors[0]['loc'] == ['currnet'] and bad.value.errors[0]['type'] == 'extra_forbidden'
    with pytest.raises(InvalidParams):
        parse_updates([{}] * 1001)
    assert parse_updates({}) == ([Update()], True) and parse_updates([]) == ([], False)
    with pytest.raises(InvalidParams) as bad:
        parse_run({'stages': {'a': 0}, 'lease_seconds': 5, 'name': ' '})
    assert sorted(e['loc'][0] for e in bad.value.errors) == ['lease_seconds', 'name', 'stages']
    run = parse_run({'name': ' nightly ', 'host': 'h', 'pid': 7})
    assert run.name == 'nightly' and run.lease_seconds == 60 and run.unit == 'items'
    assert run.facts() == {'host': 'h', 'pid': 7, 'user': None, 'command': None, 'lease_seconds': 60.0}
    assert isinstance(parse_run(run), RunOpen)


def test_an_external_run_has_moves_of_its_own() -> None:
    assert transition(Status.FAILED, Status.RUNNING, external=True) is Status.RUNNING
    assert transition(Status.PAUSED, Status.COMPLETED, external=True) is Status.COMPLETED
    with pytest.raises(IllegalTransition):
        transition(Status.FAILED, Status.RUNNING)  # a job the app runs is retried instead
    with pytest.raises(IllegalTransition):
        transition(Status.COMPLETED, Status.RUNNING, external=True)
    assert not can_transition(Status.CANCELLED, Status.RUNNING)
