"""The `external` kind: a run that a script outside the app runs and reports into (POST /api/runs, then
POST /api/jobs/{id}/report; see progress_app.client). The app never runs it, so it is not offered for new jobs and
its function is never called: the dispatcher is never handed such a job."""

from __future__ import annotations

from typing import Any

from progress_app.kinds.registry import job_kind

KIND = 'external'


@job_kind(KIND, title='External run', icon='lan', listed=False)
def external(ctx: Any) -> None:
    """A script outside the app reports its progress here; pause and cancel reach it in the answers."""
    raise RuntimeError('an external run is run by its own script, which reports into it (POST /api/runs)')
