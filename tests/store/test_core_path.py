"""The engine end to end on the generic write path (SQLAlchemy Core: what PostgreSQL and other databases use),
here on SQLite with the sqlite3 fast path switched off. The flows are the engine's and the recorder's own tests."""

from __future__ import annotations

import inspect

import pytest

from progress_app.store import repository
from tests.runtime import test_engine as engine_tests
from tests.runtime import test_recorder as recorder_tests

FLOWS = [
    engine_tests.test_demo_job_runs_to_completion_with_history,
    engine_tests.test_state_is_durable_before_it_is_reported,
    engine_tests.test_pause_stops_progress_quickly_and_resume_continues,
    engine_tests.test_cancel_paused_job,
    engine_tests.test_queued_job_can_be_paused_resumed_and_cancelled,
    engine_tests.test_failure_records_error_stage_and_traceback_then_retry_resumes,
    engine_tests.test_remove_deletes_row_events_log_and_outputs,
    engine_tests.test_higher_priority_runs_first_with_one_worker,
    engine_tests.test_graceful_stop_interrupts_and_next_start_resumes,
    engine_tests.test_paused_job_stays_paused_across_restart,
    engine_tests.test_retention_purges_old_finished_jobs,
    recorder_tests.test_checkpoints_reach_the_database_within_tens_of_milliseconds,
    recorder_tests.test_a_stale_snapshot_never_overwrites_a_finished_row,
]


@pytest.mark.parametrize('flow', FLOWS, ids=lambda flow: flow.__name__.removeprefix('test_'))
def test_engine_on_the_core_write_path(flow, make_service, tmp_path, monkeypatch):
    monkeypatch.setattr(repository, 'fast_path_available', lambda engine: False)
    wanted = inspect.signature(flow).parameters
    arguments = {'make_service': make_service, 'tmp_path': tmp_path}
    if 'service' in wanted:
        arguments['service'] = make_service()
        assert not arguments['service']._engine.repo.fast  # the store's own business
    flow(**{name: arguments[name] for name in wanted})
