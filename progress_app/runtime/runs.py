"""`Runs`: external runs as the API sees them (JobService.runs) — scripts outside the app open a run, report into it
and are told whether to run, pause or cancel (issue 14; the protocol is in api/runs.py). Job JSON out, never the
live objects of the engine."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from progress_app.domain.report import parse_run, parse_updates
from progress_app.runtime.engine.external import ExternalRuns
from progress_app.runtime.engine.job import Job


class Runs:
    def __init__(self, external: ExternalRuns, job: Callable[[int], Job]) -> None:
        self._external = external
        self._job = job  # raises JobNotFound

    def open_run(self, **fields: Any) -> tuple[dict[str, Any], bool]:
        """Open an external run (the fields of POST /api/runs): its job JSON, and whether it is new. With the
        resume_key of a run that has not completed, that run goes on instead. Raises InvalidParams."""
        job, created = self._external.open(parse_run(fields))
        return job.snapshot(), created

    def report(self, job_id: int, updates: Any) -> dict[str, str]:
        """Apply a script's report — one update or a list, all or none — to its run: `{"control", "status"}`.
        Raises NotFound, InvalidParams (nothing applied) or IllegalTransition (not an external run, or it ended
        by its script's own `done`)."""
        job = self._job(job_id)
        batch, single = parse_updates(updates)
        return {'control': self._external.report(job, batch, single), 'status': job.status.value}

    def control(self, job_id: int, *, renew: bool = False) -> str:
        """'run', 'pause' or 'cancel': what the run's script is told. `renew`: the script is waiting for it (a
        long-poll), which keeps its lease as a report does."""
        job = self._job(job_id)
        if renew:
            self._external.renew(job)
        return self._external.control(job)

    def status(self, job_id: int) -> str:
        return self._job(job_id).status.value
