"""The parts of the `batch` kind: finding the files, the per-item operations, the journal of finished items and
the report. An operation gets one item and writes at most one output, atomically (a temporary name, then a rename),
so an output that exists is complete.
"""

from __future__ import annotations

import csv
import fnmatch
import hashlib
import io
import json
import os
import re
import shutil
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from progress_app.kinds import ffmpeg, images

if TYPE_CHECKING:
    from progress_app.kinds.batch_params import BatchParams
    from progress_app.runtime.engine.context import JobContext

CHUNK = 1024 * 1024
REPORT_FIELDS = ('item', 'status', 'bytes', 'seconds', 'error', 'output')
MANIFEST = 'SHA256SUMS'
Operation = Callable[..., dict[str, Any]]
"""`operation(ctx, item, params) -> extra fields of the item's record`; raises when the item fails."""


@dataclass(frozen=True, slots=True)
class Item:
    path: Path
    name: str
    """The path relative to the source folder, with '/' (what the report and the manifest show)."""
    size: int
    output: Path | None = None


# -- finding the files --------------------------------------------------------------------------------------
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


def describe_error(exc: Exception) -> str:
    """Why an item failed, in the report's words: 'Permission denied', 'not an image Pillow can read', …."""
    from PIL import UnidentifiedImageError  # here, not at the top: Pillow would add ~20 ms to each start

    if isinstance(exc, UnidentifiedImageError):
        return 'not an image (or in a format Pillow cannot read)'
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    text = str(exc).strip()
    return text if isinstance(exc, OSError | ValueError) and text else f'{type(exc).__name__}: {text}'.rstrip(': ')


# -- writing outputs ----------------------------------------------------------------------------------------
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


# -- the operations: each returns the extra fields of its record ----------------------------------------------
def checksum(ctx: JobContext, item: Item, params: BatchParams) -> dict[str, Any]:
    digest = hashlib.sha256()
    with item.path.open('rb') as stream:
        while chunk := stream.read(CHUNK):
            digest.update(chunk)
            ctx.advance(len(chunk))
            ctx.check()
    return {'sha256': digest.hexdigest()}


def copy(ctx: JobContext, item: Item, params: BatchParams) -> dict[str, Any]:
    assert item.output is not None
    with item.path.open('rb') as reader, atomic_output(item.output) as temporary:
        with temporary.open('wb') as writer:
            while chunk := reader.read(CHUNK):
                writer.write(chunk)
                ctx.advance(len(chunk))
                ctx.check()
        shutil.copystat(item.path, temporary)  # as `cp -p`: the copy keeps the original's times and mode
    return {}


def image_resize(ctx: JobContext, item: Item, params: BatchParams) -> dict[str, Any]:
    assert item.output is not None
    with atomic_output(item.output) as temporary:
        width, height = images.resize(item.path, temporary, width=params.width, height=params.height,
                                      keep_aspect=params.keep_aspect, enlarge=params.enlarge, fmt=params.format,
                                      quality=params.quality)
    return {'size': f'{width}x{height}'}


def image_watermark(ctx: JobContext, item: Item, params: BatchParams) -> dict[str, Any]:
    assert item.output is not None and params.text is not None
    with atomic_output(item.output) as temporary:
        images.watermark(item.path, temporary, text=params.text, position=params.position,
                         opacity=params.opacity, font_size=params.font_size, fmt=params.format,
                         quality=params.quality)
    return {}


def video_transcode(ctx: JobContext, item: Item, params: BatchParams) -> dict[str, Any]:
    assert item.output is not None
    info = ffmpeg.probe(item.path)
    ffmpeg.check_output_suffix(item.output, params.codec, params.audio)
    item.output.parent.mkdir(parents=True, exist_ok=True)
    args = ffmpeg.transcode_args(item.path, item.output, codec=params.codec, crf=params.crf, preset=params.preset,
                                 scale=params.scale, audio=params.audio)
    reported = 0.0

    def on_progress(update: ffmpeg.EncodeProgress) -> None:
        # The item's bytes are counted as its media time is written, so the bar moves inside a long video.
        nonlocal reported
        if info.duration:
            share = item.size * min(update.out_seconds / info.duration, 1.0)
            if share > reported:
                ctx.advance(share - reported)
                reported = share

    stats = ffmpeg.encode(ctx, args, info.duration, on_progress=on_progress)
    return {'duration': info.duration, 'speed': round(stats.speed, 2) if stats.speed else None}


# -- the journal: one line per finished item, written before the item counts as done -------------------------
class Journal:
    """An append-only file of finished items (JSON lines). After a crash it says which items are done, so none
    is done twice; a line cut off by the crash is dropped (its item was in flight and is done again)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._file: io.TextIOWrapper | None = None

    def load(self) -> dict[str, dict[str, Any]]:
        """The records by item; the last record of an item wins."""
        if not self.path.exists():
            return {}
        data = self.path.read_bytes()
        complete = data[:data.rfind(b'\n') + 1]
        if len(complete) != len(data):
            with self.path.open('r+b') as file:  # appending after a cut-off line would glue two records
                file.truncate(len(complete))
        records: dict[str, dict[str, Any]] = {}
        for line in complete.decode('utf-8', errors='replace').splitlines():
            try:
                record = json.loads(line)
            except ValueError:
                continue
            if isinstance(record, dict) and isinstance(record.get('item'), str):
                records[record['item']] = record
        return records

    def append(self, record: dict[str, Any]) -> None:
        if self._file is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._file = self.path.open('a', encoding='utf-8')
        # One write per line; flushed to the OS at once, so a killed process loses nothing written before it.
        # No fsync: the checkpoint database is not synced per commit either (synchronous=NORMAL).
        self._file.write(json.dumps(record, ensure_ascii=False) + '\n')
        self._file.flush()

    def clear(self) -> None:
        self.close()
        self.path.unlink(missing_ok=True)

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None


# -- the report ---------------------------------------------------------------------------------------------
def write_report(folder: Path, summary: dict[str, Any], rows: list[dict[str, Any]]) -> None:
    """`report.csv` (one row per item) and `report.json` (the summary, and the same rows as `items`)."""
    extra = list(dict.fromkeys(key for row in rows for key in row if key not in REPORT_FIELDS and key != 'attempt'))
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=[*REPORT_FIELDS, *extra], extrasaction='ignore', lineterminator='\n')
    writer.writeheader()
    writer.writerows(rows)
    write_text_atomic(folder / 'report.csv', out.getvalue())
    write_text_atomic(folder / 'report.json', json.dumps({**summary, 'items': rows}, indent=2, ensure_ascii=False))


def write_manifest(target: Path, rows: list[dict[str, Any]]) -> None:
    """A sha256sum manifest ('<hash>  <path>' per line; `sha256sum -c` verifies it from the source folder)."""
    lines = []
    for row in rows:
        if row['status'] == 'ok':
            name = row['item']
            if '\\' in name or '\n' in name:  # sha256sum's escaping: a leading backslash marks an escaped name
                escaped = name.replace('\\', '\\\\').replace('\n', '\\n')
                lines.append(f'\\{row["sha256"]}  {escaped}\n')
            else:
                lines.append(f'{row["sha256"]}  {name}\n')
    write_text_atomic(target, ''.join(lines))
