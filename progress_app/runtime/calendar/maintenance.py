"""Periodic housekeeping, run by APScheduler: purge finished jobs past the retention period."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from progress_app.store.repository import Repository

log = logging.getLogger(__name__)


def purge(repo: Repository, retention_days: Callable[[], float], forget: Callable[[int], None],
          delete_files: Callable[[int], None]) -> int:
    """Delete finished jobs older than the retention period with their history and files; returns how many."""
    days = retention_days()
    ids = repo.purge_finished(time.time() - days * 86400)
    for job_id in ids:
        forget(job_id)
        delete_files(job_id)
    if ids:
        log.info('retention: purged %d finished job(s) older than %s days', len(ids), days)
    return len(ids)
