"""An external run's facts as people read them: where its script runs and how long ago it last reported (pure).

An external run is a job whose script runs outside the app and reports into it (POST /api/runs); its job JSON
carries `external` = {host, pid, user, command, lease_seconds, resume_key, last_report_at, resume_state}.
"""

from __future__ import annotations

import time
from datetime import datetime
from typing import Any

from progress_app.domain.status import ACTIVE_NAMES
from progress_app.ui import format as fmt

KIND = 'external'
ICON = 'lan'
LATE_SHARE = 0.5  # a report older than this share of the lease is a warning: the script may have stopped


def is_external(job: dict[str, Any]) -> bool:
    return job['kind'] == KIND or bool(job.get('external'))


def where(external: dict[str, Any]) -> str:
    """'build-box · pid 4242 · alice': the facts the script gave, in that order."""
    parts = [external.get('host') or 'an unnamed host']  # a run opened with curl may say nothing
    if external.get('pid') is not None:
        parts.append(f"pid {external['pid']}")
    if external.get('user'):
        parts.append(str(external['user']))
    return ' · '.join(parts)


def report_age(external: dict[str, Any], now: float | None = None) -> float | None:
    """Seconds since the script's last report (heartbeats too), or None before any."""
    stamp = external.get('last_report_at')
    if not stamp:
        return None
    at = datetime.fromisoformat(stamp).timestamp()
    return max((time.time() if now is None else now) - at, 0.0)


def lateness(job: dict[str, Any], now: float | None = None) -> str:
    """'' while the script reports in time, 'late' past half its lease, 'lost' past all of it (the app fails the
    run within seconds); a finished run is never late."""
    external = job.get('external')
    if not external or job['status'] not in ACTIVE_NAMES:
        return ''
    age, lease = report_age(external, now), float(external.get('lease_seconds') or 60)
    if age is None or age <= lease * LATE_SHARE:
        return ''
    return 'lost' if age >= lease else 'late'


def report_text(job: dict[str, Any], now: float | None = None) -> str:
    """'last report 3 s ago' while the run is live, 'last report at 12:40:24' once it has ended."""
    external = job.get('external') or {}
    age = report_age(external, now)
    if age is None:
        return 'no report yet'
    if job['status'] not in ACTIVE_NAMES:
        stamp = datetime.fromisoformat(external['last_report_at']).astimezone()
        return f"last report at {stamp.strftime('%Y-%m-%d %H:%M:%S')}"
    return 'last report just now' if age < 1 else f'last report {fmt.duration(age)} ago'


def summary(job: dict[str, Any], now: float | None = None) -> str:
    """One line for a tooltip: where it runs, what it runs and when it last reported."""
    external = job.get('external') or {}
    command = f" · {external['command']}" if external.get('command') else ''
    return f'{where(external)}{command} · {report_text(job, now)}'
