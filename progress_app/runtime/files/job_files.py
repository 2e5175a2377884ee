"""A job's files: its log and its output folder — where they are, read for the API and the UI, deleted with it."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from progress_app.config import JobPaths
from progress_app.domain.status import Status
from progress_app.errors import NoResultYet
from progress_app.runtime.files.downloads import Download, output_download
from progress_app.runtime.files.logfile import read_log, tail_offset

if TYPE_CHECKING:
    from progress_app.runtime.engine.job import Job


class JobFiles:
    """A job's log and outputs, at the places `paths` (config.JobPaths) gives. `job` looks a job up (raises
    NotFound)."""

    def __init__(self, paths: JobPaths, job: Callable[[int], Job]) -> None:
        self._paths = paths
        self._job = job

    def log_file(self, job_id: int) -> Path:
        return self._paths.log_file(job_id)

    def output_dir(self, job_id: int) -> Path:
        return self._paths.output_dir(job_id)

    def log(self, job_id: int, offset: int = 0, tail: int | None = None) -> tuple[str, int]:
        """Up to 1 MiB of the job's log from `offset` (or, with `tail`, from that many bytes before its end, at a
        line start) and the offset to read on from. Raises NotFound."""
        path = self.log_path(job_id)
        return read_log(path, offset if tail is None else tail_offset(path, tail))

    def log_path(self, job_id: int) -> Path:
        """The job's log file (it may not exist: a job that wrote nothing has none). Raises NotFound."""
        self._job(job_id)
        return self.log_file(job_id)

    def result_file(self, job_id: int) -> Download:
        """The output of a completed job as one file (a zip when there are several); raises NotFound, or NoResultYet
        before the job completed."""
        job = self._job(job_id)
        if job.status is not Status.COMPLETED:
            raise NoResultYet(f'job {job_id} has no result yet: it is {job.status.value}')
        return output_download(job_id, self.output_dir(job_id))

    def delete(self, job_id: int) -> None:
        self.log_file(job_id).unlink(missing_ok=True)
        shutil.rmtree(self.output_dir(job_id), ignore_errors=True)
        shutil.rmtree(self._paths.scratch_dir(job_id), ignore_errors=True)
