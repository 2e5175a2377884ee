"""Periodic housekeeping, run by APScheduler: purge finished jobs past the retention period."""

from __future__ import annotations

import logging
import shutil
import time

from progress_app.runtime.runner import ENGINES

log = logging.getLogger(__name__)


def purge(engine_key: str) -> int:
    engine = ENGINES.get(engine_key)
    if engine is None:
        return 0
    days = engine.service.settings_value('retention_days')
    before = time.time() - days * 86400
    ids = engine.repo.purge_finished(before)
    for job_id in ids:
        engine.forget(job_id)
        (engine.settings.logs_dir / f'{job_id}.log').unlink(missing_ok=True)
        shutil.rmtree(engine.settings.outputs_dir / str(job_id), ignore_errors=True)
    if ids:
        log.info('retention: purged %d finished job(s) older than %s days', len(ids), days)
    return len(ids)
