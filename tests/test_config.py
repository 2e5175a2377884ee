"""Settings' one answer to where a job's files are."""

from __future__ import annotations

from pathlib import Path

from progress_app.config import JobPaths, Settings


def test_a_jobs_log_and_output_folder_are_under_the_data_folder(tmp_path: Path):
    paths = Settings(data_dir=tmp_path).job_paths
    assert paths == JobPaths.under(tmp_path)
    assert paths.log_file(42) == tmp_path / 'logs' / '42.log'
    assert paths.output_dir(42) == tmp_path / 'outputs' / '42'
