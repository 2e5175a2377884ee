"""Progress App: run long jobs and watch them live.

The public API for job functions (see the README, "Your own job kinds"):

    from progress_app import job_kind, JobContext, shown_when, Titles, JobFailed, ParamsRule, item_context

and for scripts that run elsewhere and report into the app (issue 14): `progress_app.client` (tqdm, track, Run).

The names are loaded on first use: a script that imports only `progress_app.client` must not pay for pydantic and
the job registry.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from progress_app.errors import JobCancelled, JobFailed, ParamsRule
    from progress_app.kinds.registry import job_kind, shown_when
    from progress_app.kinds.titles import Titles
    from progress_app.runtime.engine.context import JobContext
    from progress_app.runtime.engine.fanout import item_context

__version__ = '0.1.0'
__all__ = ['JobCancelled', 'JobContext', 'JobFailed', 'ParamsRule', 'Titles', '__version__', 'item_context', 'job_kind',
           'shown_when']

_HOMES = {
    'JobCancelled': 'progress_app.errors',
    'JobFailed': 'progress_app.errors',
    'ParamsRule': 'progress_app.errors',
    'JobContext': 'progress_app.runtime.engine.context',
    'item_context': 'progress_app.runtime.engine.fanout',
    'job_kind': 'progress_app.kinds.registry',
    'shown_when': 'progress_app.kinds.registry',
    'Titles': 'progress_app.kinds.titles',
}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f'module {__name__!r} has no attribute {name!r}')
    value = getattr(importlib.import_module(home), name)
    globals()[name] = value
    return value
