"""Preferences a user changes in the settings page, persisted in the database.

A flag or environment variable given at start-up wins over the stored value for that run; changes made in the
UI are stored and applied at once.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from progress_app.config import Settings, is_loopback
from progress_app.kinds.paths import unique
from progress_app.runtime.files.uploads import uploads_dir

Theme = Literal['auto', 'light', 'dark']
NotifyOn = Literal['completed', 'failed', 'both', 'none']
log = logging.getLogger(__name__)


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
    # The folders jobs may read and write; none: as allowed_folders() says for how the app listens.
    allowed_dirs: Annotated[list[str], Field(title='Allowed folders')] = []
    # The largest file (or set of files) a browser or script may send with POST /api/uploads.
    upload_limit_mb: Annotated[int, Field(ge=1, le=10_000_000, title='Largest upload (MB)')] = 20_000

    @field_validator('allowed_dirs')
    @classmethod
    def _absolute(cls, value: list[str]) -> list[str]:
        # Only absolute here: a stored folder that was deleted since must not drop the whole list (on loopback
        # that would allow every folder). JobService.update_preferences also wants new ones to exist.
        folders = [str(Path(folder.strip()).expanduser()) for folder in value if folder.strip()]
        for folder in folders:
            if not Path(folder).is_absolute():
                raise ValueError(f"'{folder}' is not an absolute path: name the folder from / (or ~)")
        return list(dict.fromkeys(folders))


def effective(settings: Settings, stored: dict[str, Any]) -> Preferences:
    """Stored preferences, overridden by what was given explicitly on the command line or in the environment."""
    values = {k: v for k, v in stored.items() if k in Preferences.model_fields}
    for name in ('workers', 'retention_days'):
        if name in settings.model_fields_set:
            values[name] = getattr(settings, name)
    if settings.allowed_dirs is not None:
        values['allowed_dirs'] = [str(folder) for folder in settings.allowed_dirs]
    try:
        return Preferences(**values)
    except ValidationError as exc:  # a stored value that no longer validates (or is damaged) is ignored, alone
        bad = {str(error['loc'][0]) for error in exc.errors() if error['loc']}
        log.warning('stored preferences ignored, the defaults are used instead: %s',
                    '; '.join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()))
    try:
        return Preferences(**{k: v for k, v in values.items() if k not in bad})
    except ValidationError:
        return Preferences(**{k: getattr(settings, k) for k in ('workers', 'retention_days')})


def overridden(settings: Settings) -> dict[str, str]:
    """The preferences given at start-up, which win over the stored value for this run: name → flag (and variable)."""
    flags = {'workers': '--workers or PROGRESS_APP_WORKERS',
             'retention_days': '--retention-days or PROGRESS_APP_RETENTION_DAYS'}
    given = {name: flag for name, flag in flags.items() if name in settings.model_fields_set}
    if settings.allowed_dirs is not None:
        given['allowed_dirs'] = '--allowed-dirs or PROGRESS_APP_ALLOWED_DIRS'
    return given


def allowed_folders(settings: Settings, prefs: Preferences) -> tuple[Path, ...] | None:
    """The folders jobs may read and write, resolved; None: any folder. Without a choice, any folder while the app
    listens on loopback only; once others can reach it, the data dir and the home folder of the user running it.
    The data dir's uploads folder is always among them: what was sent to the app is there for its jobs."""
    if prefs.allowed_dirs:
        chosen, uploads = unique(prefs.allowed_dirs), uploads_dir(settings.data_dir)
        return chosen if any(uploads.is_relative_to(folder) for folder in chosen) else (*chosen, uploads)
    if is_loopback(settings.host):
        return None
    return unique([settings.data_dir, Path.home()])
