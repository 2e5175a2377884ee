"""Folder listings for the file picker of path fields: what a folder holds, folders first, within the allowed
folders. The UI asks for them here and never reads the file system itself.

It starts in the last folder used (while it is still there and allowed), else the home folder, else the first
allowed folder; it never lists a folder outside the allowed ones, nor goes up out of them, nor follows a link out.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from progress_app.errors import InvalidParams
from progress_app.kinds.paths import refusal

ENTRIES_MAX = 2000
"""A folder with more entries shows the first ones (folders first, by name) and says how many there are."""


@dataclass(frozen=True, slots=True)
class Entry:
    name: str
    path: str
    folder: bool
    size: int | None = None
    modified: float | None = None


@dataclass(slots=True)
class Listing:
    folder: str
    parent: str | None
    """None at the top: an allowed folder, or /."""
    roots: list[str]
    """Where the picker can jump to: the allowed folders, or the home folder and /."""
    entries: list[Entry] = field(default_factory=list)
    total: int = 0
    """How many entries match, of which `entries` holds up to ENTRIES_MAX."""


class FolderBrowser:
    """Lists folders inside `allowed()` (resolved folders; None: anywhere), starting at `home`."""

    def __init__(self, allowed: Callable[[], Sequence[Path] | None], home: Path | None = None) -> None:
        self._allowed = allowed
        self._home = (home or Path.home()).resolve()
        self.last: Path | None = None

    def roots(self) -> list[Path]:
        allowed = self._allowed()
        return list(allowed) if allowed is not None else [self._home, Path('/')]

    def start(self) -> Path:
        """The folder the picker opens in."""
        for candidate in (self.last, self._home, *self.roots()):
            if candidate is not None and candidate.is_dir() and self._inside(candidate):
                return candidate
        return self.roots()[0]

    def remember(self, path: str) -> None:
        """The user picked `path`: the picker opens in its folder next time."""
        chosen = Path(path).expanduser().resolve()
        self.last = chosen if chosen.is_dir() else chosen.parent

    def _inside(self, path: Path) -> bool:
        allowed = self._allowed()
        return allowed is None or any(path.is_relative_to(folder) for folder in allowed)

    def list(self, folder: str | None = None, *, hidden: bool = False) -> Listing:
        """What `folder` (default: `start()`) holds: folders first, then files, each by name regardless of case;
        names starting with '.' only with `hidden`. Raises InvalidParams at 'folder' for a folder outside the
        allowed ones, one that is not there, or one that cannot be read."""
        path = self.start() if folder is None or not folder.strip() else Path(folder.strip()).expanduser()
        allowed = self._allowed()
        why = refusal(str(path), allowed) if allowed is not None else None
        if why is not None:
            raise InvalidParams.field('folder', why, 'path_not_allowed')
        path = path.resolve()
        if not path.is_dir():
            raise InvalidParams.field('folder', f"'{path}' is not a folder" if path.exists()
                                      else f"'{path}' does not exist")
        try:
            with os.scandir(path) as scan:
                entries = [e for e in (self._entry(item) for item in scan if hidden or not item.name.startswith('.'))
                           if e is not None]
        except OSError as exc:
            raise InvalidParams.field('folder', f"'{path}' cannot be read ({exc.strerror or exc})") from None
        entries.sort(key=lambda e: (not e.folder, e.name.casefold(), e.name))
        top = any(path == root for root in self.roots()) or path.parent == path
        return Listing(str(path), None if top else str(path.parent), [str(root) for root in self.roots()],
                       entries[:ENTRIES_MAX], len(entries))

    def _entry(self, item: os.DirEntry[str]) -> Entry | None:
        """The entry as the picker shows it; None for a link that leads out of the allowed folders (or nowhere)."""
        try:
            info = item.stat()  # follows links: a link to a folder is a folder
        except OSError:
            return None
        if item.is_symlink() and not self._inside(Path(item.path).resolve()):
            return None
        folder = stat.S_ISDIR(info.st_mode)
        return Entry(item.name, item.path, folder, None if folder else info.st_size, info.st_mtime)
