"""Earlier successful runs of a kind, for what a new run can expect (a mixin of the repository, which provides
`engine`)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine
from sqlmodel import select

from progress_app.domain.status import Status
from progress_app.store.engine import UnreadableJSON
from progress_app.store.tables import JOB


class PastRuns:
    engine: Engine

    def completed_runs(self, kind: str, limit: int = 100) -> list[dict[str, Any]]:
        """The newest `limit` completed jobs of `kind`, newest first: their `name`, `params`, `schedule_id`, `elapsed`
        (running seconds) and `stages` (as stored, with each stage's running seconds). Damaged rows are left out."""
        columns = [JOB.c[name] for name in ('name', 'params', 'schedule_id', 'elapsed', 'stages')]
        with self.engine.connect() as connection:
            rows = connection.execute(select(*columns).where(JOB.c.kind == kind, JOB.c.status == Status.COMPLETED.value)
                                      .order_by(JOB.c.id.desc()).limit(limit)).mappings().all()
        return [dict(row) for row in rows
                if not isinstance(row['params'], UnreadableJSON) and not isinstance(row['stages'], UnreadableJSON)]
