"""The files half of `JobService`: a job's log and its outputs, read for the API and the UI, deleted with it."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from progress_app.domain.status import Status
from progress_app.errors import NotFound
from progress_app.runtime.downloads import Download, output_download
from progress_app.runtime.logfile import read_log, tail_offset

if TYPE_CHECKING:
    from progress_app.runtime.engine import Engine
    from progress_app.runtime.job import Job


class JobFiles:
    engine: Engine
    job: Callable[[int], Job]  # JobService's: the job, or NotFound

    def log(self, job_id: int, offset: int = 0, tail: int | None = None) -> tuple[str, int]:
        """Up to 1 MiB of the job's log from `offset` (or, with `tail`, from that many bytes before its end, at a
        line start) and the offset to read on from. Raises NotFound."""
        path = self.log_path(job_id)
        return read_log(path, offset if tail is None else tail_offset(path, tail))

    def log_path(self, job_id: int) -> Path:
        """The job's log file (it may not exist: a job that wrote nothing has none). Raises NotFound."""
        self.job(job_id)
        return self.engine.settings.logs_dir / f'{job_id}.log'

    def result_file(self, job_id: int) -> Download:
        """The output of a completed job as one file (a zip when there are several); raises NotFound."""
        job = self.job(job_id)
        if job.status is not Status.COMPLETED:
            raise NotFound(f'job {job_id} has no result yet: it is {job.status.value}')
        return output_download(job_id, self.engine.settings.outputs_dir / str(job_id))

    def _delete_files(self, job_id: int) -> None:
        settings = self.engine.settings
        (settings.logs_dir / f'{job_id}.log').unlink(missing_ok=True)
        shutil.rmtree(settings.outputs_dir / str(job_id), ignore_errors=True)
