"""The `threads` executor: a job's function runs in the dispatcher's thread that runs the job, in the app."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from progress_app.kinds.registry import JobKind
    from progress_app.runtime.engine.context import JobContext
    from progress_app.runtime.engine.job import Job


class ThreadsExecutor:
    name = 'threads'

    def start(self) -> None:
        pass

    def stop(self) -> None:
        pass

    def describe(self) -> dict[str, Any]:
        return {'executor': self.name, 'workers': None, 'address': None, 'dashboard': None}

    def call(self, job: Job, ctx: JobContext, kind: JobKind, params: dict[str, Any]) -> Any:
        return kind.call(ctx, params)
