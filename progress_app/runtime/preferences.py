"""Preferences a user changes in the settings page, persisted in the database.

A flag or environment variable given at start-up wins over the stored value for that run; changes made in the
UI are stored and applied at once.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from progress_app.config import Settings

Theme = Literal['auto', 'light', 'dark']
NotifyOn = Literal['completed', 'failed', 'both', 'none']


class Preferences(BaseModel):
    model_config = ConfigDict(extra='forbid', frozen=True)  # one instance is shared until the next change

    workers: Annotated[int, Field(ge=1, le=256, title='Jobs that run at once')] = 4
    retention_days: Annotated[float, Field(gt=0, le=36500, title='Keep finished jobs for (days)')] = 30
    theme: Annotated[Theme, Field(title='Theme')] = 'auto'
    # Apprise URLs; checked against Apprise by JobService.update_preferences (not here: reading must stay cheap)
    notify_urls: Annotated[list[str], Field(title='Notification URLs')] = []
    # Failures by default: a completion is worth a message when asked for (per job, or by choosing 'both').
    notify_on: Annotated[NotifyOn, Field(title='Notify when a job')] = 'failed'
    allow_commands: Annotated[bool, Field(title='Allow the command kind')] = True


def effective(settings: Settings, stored: dict[str, Any]) -> Preferences:
    """Stored preferences, overridden by what was given explicitly on the command line or in the environment."""
    values = {k: v for k, v in stored.items() if k in Preferences.model_fields}
    for name in ('workers', 'retention_days'):
        if name in settings.model_fields_set:
            values[name] = getattr(settings, name)
    try:
        return Preferences(**values)
    except ValueError:  # a stored value that no longer validates is ignored, not fatal
        return Preferences(**{k: getattr(settings, k) for k in ('workers', 'retention_days')})
