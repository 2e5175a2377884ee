"""Progress App: run long jobs and watch them live.

The public API for job functions (see the README, "Your own job kinds"):

    from progress_app import job_kind, JobContext, shown_when
"""

from __future__ import annotations

from progress_app.errors import JobCancelled
from progress_app.kinds.registry import job_kind, shown_when
from progress_app.runtime.engine.context import JobContext

__version__ = '0.1.0'
__all__ = ['JobCancelled', 'JobContext', '__version__', 'job_kind', 'shown_when']
