"""The user's settings: the preferences changed in the app (stored), what they allow, and test notifications."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from progress_app.config import Settings, existing_folder
from progress_app.errors import InvalidParams
from progress_app.kinds.paths import path_problems
from progress_app.kinds.registry import JobKind, Registry
from progress_app.runtime.settings.notify import clean_urls, send
from progress_app.runtime.settings.preferences import Preferences, allowed_folders, effective
from progress_app.store.repository import Repository

COMMANDS_OFF = ('shell commands are switched off in settings ("Allow the command kind"); switch them on there '
                'to run this job')


class UserSettings:
    """The preferences over the start-up `settings`, kept in `repo`'s settings table; `applied(preferences)` is
    called whenever they are read from the store or changed, so the parts that follow them (the number of workers)
    can. `kinds` are the job kinds submissions are checked against."""

    def __init__(self, settings: Settings, repo: Repository, kinds: Registry,
                 applied: Callable[[Preferences], None] = lambda preferences: None) -> None:
        self._settings, self._repo, self._kinds, self._applied = settings, repo, kinds, applied
        self._preferences: Preferences | None = None
        # From the start-up settings until load() reads the saved preferences.
        self._allowed_dirs = allowed_folders(settings, effective(settings, {}))

    def load(self) -> Preferences:
        """Read the saved preferences (at start, once the database is there) and apply them."""
        self._preferences = None
        prefs = self.preferences()
        self._allowed_dirs = allowed_folders(self._settings, prefs)
        self._applied(prefs)
        return prefs

    def value(self, name: str) -> Any:
        return getattr(self.preferences(), name)

    def preferences(self) -> Preferences:
        """Read on every submit and job end, so kept in memory; only update changes them."""
        if self._preferences is None:
            self._preferences = effective(self._settings, self._repo.get_settings())
        return self._preferences

    def update(self, **changes: Any) -> Preferences:
        """Validate, store and apply changed preferences; raises InvalidParams naming the bad field (and, for
        `notify_urls`, each URL that Apprise does not accept)."""
        if isinstance(changes.get('notify_urls'), list | tuple):
            changes['notify_urls'] = clean_urls(changes['notify_urls'])
        if isinstance(changes.get('allowed_dirs'), list | tuple):
            _check_folders(changes['allowed_dirs'])
        try:
            updated = Preferences(**(self.preferences().model_dump() | changes))
        except ValidationError as exc:
            raise InvalidParams.from_validation(exc) from None
        for name in changes:
            self._repo.put_setting(name, getattr(updated, name))
        self._preferences = updated
        self._allowed_dirs = allowed_folders(self._settings, updated)
        self._applied(updated)
        return updated

    def allowed_dirs(self) -> Sequence[Path] | None:
        """The folders jobs may read and write, resolved; None: any folder."""
        return self._allowed_dirs

    def checked_params(self, kind: str, params: Mapping[str, Any] | None) -> tuple[JobKind, dict[str, Any]]:
        """The kind and its validated params, as a submission (or a schedule) takes them. Raises InvalidParams:
        at `kind` if settings switched it off, at a path param outside the allowed folders, or the kind's own."""
        self.check_kind_allowed(kind)
        job_kind = self._kinds.get(kind)
        allowed = self._allowed_dirs
        # The paths as given are checked before the kind looks at them: its own checks would otherwise tell
        # whether a file outside the allowed folders exists or can be read.
        problems = path_problems(job_kind.params_model, params, allowed) if isinstance(params, Mapping) else []
        if not problems:
            clean = job_kind.validate(params)
            problems = path_problems(job_kind.params_model, clean, allowed)  # as normalised by the kind
        if problems:
            raise InvalidParams(problems)
        return job_kind, clean

    def check_kind_allowed(self, kind: str) -> None:
        """Raise InvalidParams at `kind` when it is the command kind and settings switched that off, or a kind that
        is not submitted at all (`external`: its runs are opened by their scripts)."""
        if kind == 'command' and not self.preferences().allow_commands:
            raise InvalidParams.field('kind', COMMANDS_OFF)
        if kind in self._kinds and not self._kinds.get(kind).listed:
            raise InvalidParams.field('kind', f"use POST /api/runs: a '{kind}' run is opened by its script")

    def send_test(self, urls: list[str] | None = None) -> int:
        """Send a test message to `urls` (default: the saved ones); returns how many URLs it went to. Raises
        InvalidParams for a URL Apprise does not accept, NotificationFailed with Apprise's reason otherwise."""
        targets = clean_urls(self.preferences().notify_urls if urls is None else urls)
        send(targets, 'Progress App test notification',
             'Notifications from Progress App reach you here when jobs complete or fail.')
        return len(targets)


def _check_folders(folders: Sequence[Any]) -> None:
    """Raise InvalidParams at `allowed_dirs` for each folder that is not absolute or does not exist."""
    problems = []
    for folder in (f for f in folders if str(f).strip()):
        try:
            existing_folder(str(folder))
        except ValueError as exc:
            problems.append(InvalidParams.problem('allowed_dirs', str(exc)))
    if problems:
        raise InvalidParams(problems)
