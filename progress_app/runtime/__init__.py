"""The runtime: runs the jobs and keeps their record. `JobService` is its one face for the API, the UI and scripts.

    engine/    the engine and what runs a job: runner, dispatcher, lifecycle, recovery, context, processes
    live/      fan-out of live changes: bus, subscriptions, sampler, recorder, loop heartbeat
    calendar/  time: the user's schedules, deferred starts, the retention purge
    settings/  the user's preferences, API tokens, notifications
    files/     a job's log and outputs
    history.py reports over finished jobs;  service.py the face

The names below are loaded on first use, so that `progress_app.runtime.engine.context` (which the public
`progress_app` package imports) does not pull in the whole runtime.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from progress_app.runtime.calendar.schedules import ScheduleSpec, check_cron
    from progress_app.runtime.engine.context import JobContext
    from progress_app.runtime.engine.engine import Engine
    from progress_app.runtime.engine.job import Job
    from progress_app.runtime.files.downloads import Download
    from progress_app.runtime.live.bus import encoded, to_json
    from progress_app.runtime.live.subscription import Message, Subscription
    from progress_app.runtime.service import JobService
    from progress_app.runtime.settings.notify import NotificationFailed
    from progress_app.runtime.settings.preferences import Preferences
    from progress_app.runtime.settings.tokens import TokenStore

_WHERE = {
    'Download': 'files.downloads', 'Engine': 'engine.engine', 'Job': 'engine.job', 'JobContext': 'engine.context',
    'JobService': 'service', 'Message': 'live.subscription', 'NotificationFailed': 'settings.notify',
    'Preferences': 'settings.preferences', 'ScheduleSpec': 'calendar.schedules', 'Subscription': 'live.subscription',
    'TokenStore': 'settings.tokens', 'check_cron': 'calendar.schedules', 'encoded': 'live.bus',
    'to_json': 'live.bus',
}
__all__ = ['Download', 'Engine', 'Job', 'JobContext', 'JobService', 'Message', 'NotificationFailed', 'Preferences',
           'ScheduleSpec', 'Subscription', 'TokenStore', 'check_cron', 'encoded', 'to_json']


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f'module {__name__!r} has no attribute {name!r}')
    return getattr(importlib.import_module(f'{__name__}.{_WHERE[name]}'), name)
