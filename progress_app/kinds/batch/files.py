"""Finding a batch's files and writing its outputs: each output is written under a temporary name and renamed
into place, so an output that exists is complete."""

from __future__ import annotations

import fnmatch
import os
import re
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True, slots=True)
class Item:
    path: Path
    name: str
    """The path relative to the source folder, with '/' (what the report and the manifest show)."""
    size: int
    output: Path | None = None


def matcher(pattern: str) -> tuple[Callable[[str, str], bool], bool]:
    """A test `(name, relative_path) -> bool` for a pattern such as '*.jpg' or '*.jpg, *.png' (case-insensitive;
    one with a '/' is matched against the relative path), and whether a part asks for subfolders ('**/*.jpg')."""
    tests: list[tuple[bool, re.Pattern[str]]] = []
    deep = False
    for part in (p.strip() for p in pattern.split(',')):
        if not part:
            continue
        if part.startswith('**/'):
            part, deep = part[3:], True
        tests.append(('/' in part, re.compile(fnmatch.translate(part), re.IGNORECASE)))
    return (lambda name, rel: any(rx.match(rel if on_path else name) for on_path, rx in tests)), deep


def iter_files(source: Path, pattern: str, recursive: bool, skip: tuple[Path, ...] = ()) -> Iterator[Path]:
    """The files under `source` matching `pattern`, in no particular order; folders in `skip` are left out."""
    matches, deep = matcher(pattern)
    skipped = {str(p) for p in skip}
    for folder, dirs, files in os.walk(source, onerror=None):
        if str(Path(folder).resolve()) in skipped:
            dirs[:] = []
            continue
        base = Path(folder)
        rel_folder = base.relative_to(source).as_posix()
        for name in files:
            rel = name if rel_folder == '.' else f'{rel_folder}/{name}'
            path = base / name
            if matches(name, rel) and path.is_file():
                yield path
        if not (recursive or deep):
            break
        dirs.sort()


def list_items(source: Path, pattern: str, recursive: bool, skip: tuple[Path, ...] = ()) -> list[Item]:
    """The matching files sorted by relative path, with their sizes (an unreadable size counts as 0)."""
    items = []
    for path in iter_files(source, pattern, recursive, skip):
        try:
            size = path.stat().st_size
        except OSError:
            size = 0  # recorded as a failure when the operation tries to read it
        items.append(Item(path, path.relative_to(source).as_posix(), size))
    return sorted(items, key=lambda i: i.name)


def plan_outputs(items: list[Item], dest: Path, suffix: Callable[[Path], str] | None) -> list[Item]:
    """Give each item its output under `dest` (same relative path; a new suffix when the format changes). Two
    inputs that would land on one name ('a.png' and 'a.jpg' both as 'a.jpg') keep their old suffix in it."""
    if suffix is None:
        return items
    wanted = [Path(item.name).with_suffix(suffix(item.path)).as_posix() for item in items]
    counts = Counter(wanted)
    return [Item(item.path, item.name, item.size,
                 dest / (f'{item.name}{suffix(item.path)}' if counts[name] > 1 else name))
            for item, name in zip(items, wanted, strict=True)]


@contextmanager
def atomic_output(target: Path) -> Iterator[Path]:
    """A temporary path next to `target`, renamed to it when the block succeeds and removed when it fails."""
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_name(f'.{target.stem}.partial{target.suffix}')
    try:
        yield temporary
        os.replace(temporary, target)
    finally:
        temporary.unlink(missing_ok=True)


def write_text_atomic(target: Path, text: str) -> None:
    with atomic_output(target) as temporary:
        temporary.write_text(text, encoding='utf-8', newline='')
