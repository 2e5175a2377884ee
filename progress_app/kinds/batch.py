"""`batch`: apply one operation to every file of a folder that matches a pattern.

Operations: a sha256 manifest, copy, image resize or watermark (Pillow), video transcode (ffmpeg). Progress is in
bytes (MB/s) where an item's cost follows its size, in images otherwise; the message says which item of how many.

Resuming: every finished item, failed or not, gets a line in `journal.jsonl` in the job's output folder *after*
its output was renamed into place and *before* it counts as done. A restart reads the journal and goes on with
the items it does not list: no finished item is done again (only the one in flight at a crash, which had no line
yet), and each item appears once in the report. The output folder holds `report.csv`,
`report.json`, the journal and, when no `dest` is given, the outputs under `files/`.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

from progress_app.kinds import batch_ops as ops
from progress_app.kinds import ffmpeg
from progress_app.kinds.ffmpeg import Audio, Preset, VideoCodec
from progress_app.kinds.images import OutputFormat, Position, output_suffix
from progress_app.kinds.registry import job_kind, shown_only_for, shown_when

if TYPE_CHECKING:
    from progress_app.runtime.context import JobContext

Operation = Literal['checksum', 'copy', 'image_resize', 'image_watermark', 'video_transcode']
WORDS = {'checksum': ('hash', 'hashed'), 'copy': ('copy', 'copied'), 'image_resize': ('resize', 'resized'),
         'image_watermark': ('watermark', 'watermarked'), 'video_transcode': ('transcode', 'transcoded')}
"""Per operation: the name of its work stage, and what the final message says was done."""
BY_BYTES = ('checksum', 'copy', 'video_transcode')
"""Operations whose cost follows the file size: their progress is in bytes; the image ones count images."""
JOURNAL = 'journal.jsonl'
OUTPUTS = 'files'
"""Where the outputs go inside the job's output folder when no `dest` is given."""
LISTED_FAILURES = 20

# The options of some operations only: the new-job form shows them for those (see params_form.py), and one without
# a default given to another operation is refused as a mistake.
RESIZE = shown_when('operation', 'image_resize')
WATERMARK = shown_when('operation', 'image_watermark')
VIDEOS = shown_when('operation', 'video_transcode')
IMAGES = shown_when('operation', 'image_resize', 'image_watermark')


class BatchFailed(Exception):
    pass


class BatchParams(BaseModel):
    model_config = ConfigDict(extra='forbid')

    source: Annotated[str, Field(title='Source folder', description='The folder with the files')]
    pattern: Annotated[str, Field(description="Which files: a pattern on the name, case-insensitive; several "
                                              "separated by commas ('*.jpg, *.png')")] = '*'
    recursive: Annotated[bool, Field(description='Include the files in subfolders')] = False
    operation: Annotated[Operation, Field(description='checksum: a sha256 manifest; copy; image_resize; '
                                                      'image_watermark; video_transcode')]
    dest: Annotated[str | None, Field(title='Destination folder',
                                      description="Where the outputs go (default: the job's output folder, "
                                                  'downloadable); not inside the source folder')] = None
    # Each operation's own options; the new-job form shows those of the chosen operation only.
    width: Annotated[int | None, Field(ge=1, le=20000, description='Resize: the largest width in pixels',
                                       **RESIZE)] = None
    height: Annotated[int | None, Field(ge=1, le=20000, description='Resize: the largest height in pixels',
                                        **RESIZE)] = None
    keep_aspect: Annotated[bool, Field(description='Resize: keep the proportions (fit within width × height)',
                                       **RESIZE)] = True
    enlarge: Annotated[bool, Field(description='Resize: also enlarge smaller images', **RESIZE)] = False
    format: Annotated[OutputFormat, Field(title='Image format', description="Images: the output format ('same': "
                                                                            "as the input)", **IMAGES)] = 'same'
    quality: Annotated[int, Field(ge=1, le=100, description='Images: JPEG/WebP quality', **IMAGES)] = 90
    text: Annotated[str | None, Field(max_length=200, description='Watermark: the text', **WATERMARK)] = None
    position: Annotated[Position, Field(description='Watermark: where the text goes', **WATERMARK)] = 'bottom-right'
    opacity: Annotated[float, Field(gt=0, le=1, description='Watermark: 1 is opaque', **WATERMARK)] = 0.5
    font_size: Annotated[int | None, Field(ge=6, le=1000, description='Watermark: text height in pixels (default: '
                                                                      "5 % of the image's shorter side)",
                                           **WATERMARK)] = None
    codec: Annotated[VideoCodec, Field(description="Videos: the output's video codec ('copy' keeps the video)",
                                       **VIDEOS)] = 'h264'
    crf: Annotated[int | None, Field(title='Quality (CRF)', description='Videos: lower is better and bigger '
                                     '(h264/h265 0–51, default 23/28; vp9 0–63, default 31)', **VIDEOS)] = None
    preset: Annotated[Preset | None, Field(description='Videos: encoder speed (default medium)', **VIDEOS)] = None
    scale: Annotated[str | None, Field(description="Videos: new size 'WIDTH:HEIGHT', -2 keeps the aspect ratio "
                                                   "('1280:-2')", **VIDEOS)] = None
    audio: Annotated[Audio, Field(description='Videos: copy the audio, re-encode it to AAC, or drop it',
                                  **VIDEOS)] = 'aac'

    @field_validator('dest', 'text', 'scale', mode='before')
    @classmethod
    def _blank_is_none(cls, value: Any) -> Any:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator('source')
    @classmethod
    def _source_is_a_readable_folder(cls, value: str) -> str:
        path = Path(value).expanduser()
        if not value.strip() or not path.exists():
            raise ValueError(f"the folder '{value}' does not exist")
        if not path.is_dir():
            raise ValueError(f"'{value}' is a file, not a folder")
        if not os.access(path, os.R_OK | os.X_OK):
            raise ValueError(f"the folder '{value}' cannot be read (permission denied)")
        return os.path.abspath(path)  # stored absolute: a restart from another working folder finds it too

    @field_validator('pattern')
    @classmethod
    def _pattern_stays_inside(cls, value: str) -> str:
        parts = [p.strip() for p in value.split(',') if p.strip()]
        if not parts:
            raise ValueError("must not be empty (use '*' for every file)")
        for part in parts:
            if part.startswith('/') or '..' in part.split('/'):
                raise ValueError(f"'{part}' would leave the source folder; patterns are relative to it")
        return value

    @field_validator('dest')
    @classmethod
    def _dest_is_writable_and_apart(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is None or not value.strip():
            return None
        operation, source = info.data.get('operation'), info.data.get('source')
        if operation == 'checksum':
            raise ValueError("does not apply to checksum: the manifest goes to the job's output folder "
                             '(downloadable); leave dest empty')
        target = Path(value).expanduser().resolve()
        if source is not None:
            inputs = Path(source).resolve()
            if target == inputs or target.is_relative_to(inputs):
                raise ValueError(f"'{value}' is inside the source folder '{source}': the outputs would mix with "
                                 'the inputs (and be picked up as inputs); choose a folder outside it')
        existing = next(p for p in (target, *target.parents) if p.exists())
        if not existing.is_dir():
            raise ValueError(f"cannot create the folder '{value}': '{existing}' is a file")
        if not os.access(existing, os.W_OK | os.X_OK):
            raise ValueError(f"cannot write to '{existing}' (permission denied)")
        return str(target)

    @field_validator('crf')
    @classmethod
    def _crf_fits_codec(cls, value: int | None, info: ValidationInfo) -> int | None:
        if info.data.get('operation') == 'video_transcode' and 'codec' in info.data:
            ffmpeg.check_crf(info.data['codec'], value)
        return value

    @field_validator('preset')
    @classmethod
    def _preset_needs_encoding(cls, value: str | None, info: ValidationInfo) -> str | None:
        ffmpeg.check_preset(info.data.get('codec'), value)
        return value

    @field_validator('scale')
    @classmethod
    def _scale_fits_codec(cls, value: str | None, info: ValidationInfo) -> str | None:
        if info.data.get('operation') == 'video_transcode' and 'codec' in info.data:
            ffmpeg.check_scale(info.data['codec'], value)
        return value.strip() if value else None

    @model_validator(mode='after')
    def _operation_can_run(self) -> BatchParams:
        for name, field in type(self).model_fields.items():
            operations = shown_only_for(field, 'operation')
            if field.default is None and getattr(self, name) is not None and operations \
                    and self.operation not in operations:
                raise ValueError(f"{name} applies to the operation {' and '.join(operations)} only, "
                                 f'not to {self.operation}')
        if self.operation == 'image_resize':
            if self.width is None and self.height is None:
                raise ValueError('image_resize needs a width, a height or both')
            if not self.keep_aspect and (self.width is None or self.height is None):
                raise ValueError('image_resize without keep_aspect needs both width and height')
        if self.operation == 'image_watermark' and not (self.text or '').strip():
            raise ValueError('image_watermark needs a text')
        if next(ops.iter_files(Path(self.source), self.pattern, self.recursive), None) is None:
            where = 'in it or its subfolders' if self.recursive else 'directly in it (subfolders are not searched: ' \
                                                                     'set recursive)'
            raise ValueError(f"no file matches the pattern '{self.pattern}' in the folder '{self.source}' ({where})")
        return self


OPERATIONS: dict[str, ops.Operation] = {'checksum': ops.checksum, 'copy': ops.copy, 'image_resize': ops.image_resize,
                                        'image_watermark': ops.image_watermark,
                                        'video_transcode': ops.video_transcode}


def _stages(params: dict[str, Any]) -> dict[str, float]:
    return {'scan': 2, WORDS.get(params.get('operation', ''), ('process',))[0]: 95, 'report': 3}


@job_kind('batch', title='Batch of files', params=BatchParams, stages=_stages, icon='folder_copy',
          description='Apply an operation to every matching file of a folder: checksum, copy, resize or watermark '
                      'images, transcode videos. Failed files are reported and the batch goes on; a restart goes '
                      'on at the next unfinished file.')
def batch(ctx: JobContext, **values: Any) -> dict[str, Any]:
    params = BatchParams.model_construct(**values)  # validated by the kind already
    source, output_dir = Path(params.source), ctx.output_dir
    dest = Path(params.dest) if params.dest else output_dir / OUTPUTS
    work, verb = WORDS[params.operation]

    with ctx.stage('scan'):
        ctx.message(f"looking for '{params.pattern}' in {source}")
        found = ops.list_items(source, params.pattern, params.recursive, skip=(output_dir.resolve(), dest.resolve()))
        items = ops.plan_outputs(found, dest, _suffix(params))
        if not items:
            raise BatchFailed(f"no file matches '{params.pattern}' in '{source}' any more")
        total_bytes = sum(item.size for item in items)
        ctx.log(f'{_files(len(items))}, {total_bytes / 1e6:.1f} MB; operation {params.operation}, outputs in {dest}')

    journal = ops.Journal(output_dir / JOURNAL)
    earlier = journal.load()
    records = {item.name: earlier[item.name] for item in items if item.name in earlier}
    by_bytes = params.operation in BY_BYTES and total_bytes > 0
    covered, unit = (total_bytes, 'bytes') if by_bytes else (len(items), _unit(params))
    with ctx.stage(work):
        ctx.set_total(covered, unit)
        if records:
            ctx.log(f'resuming: {len(records)} of {len(items)} files were finished before, they are not done again')
        try:
            _process(ctx, params, dest, items, records, journal, (lambda item: item.size) if by_bytes else None)
        finally:
            journal.close()
        rows = [records[item.name] for item in items]
        failed = [row for row in rows if row['status'] != 'ok']
        if len(failed) == len(rows):
            ops.write_report(output_dir, _summary(params, dest, rows), rows)
            journal.clear()  # a retry tries every file again
            raise BatchFailed(f"all {_files(len(rows))} failed; the first, '{rows[0]['item']}': {rows[0]['error']}")

    with ctx.stage('report'):
        ctx.set_total(covered, unit)  # the report covers every file: "12 / 12 images" once done
        summary = _summary(params, dest, rows)
        ops.write_report(output_dir, summary, rows)
        if params.operation == 'checksum':
            ops.write_manifest(output_dir / ops.MANIFEST, rows)
        ctx.message(f'{len(rows) - len(failed)} of {len(rows)} files {verb} · {len(failed)} failed (see report.csv)'
                    if failed else f'{_files(len(rows))} {verb}')
        ctx.log(f"{summary['ok']} ok, {summary['failed']} failed; report in report.csv and report.json")
        ctx.set_current(covered)
    result = {'operation': params.operation, 'items': len(rows)}
    result |= {key: summary[key] for key in ('ok', 'failed', 'bytes', 'dest')}
    result |= {'warnings': len(failed), 'report': 'report.csv',
               'failures': [{'item': row['item'], 'error': row['error']} for row in failed[:LISTED_FAILURES]]}
    if params.operation == 'checksum':
        result['manifest'] = ops.MANIFEST
    return result


def _process(ctx: JobContext, params: BatchParams, dest: Path, items: list[ops.Item],
             records: dict[str, dict[str, Any]], journal: ops.Journal, size: Callable[[ops.Item], int] | None) -> None:
    """Do the items that `records` does not list yet, adding their records. Progress counts each item's `size`
    (bytes), or 1 per item."""
    cost = size or (lambda item: 1)
    done_units = sum(cost(item) for item in items if item.name in records)
    ctx.set_current(done_units)
    operation = OPERATIONS[params.operation]
    inputs = {item.path.resolve() for item in items} if params.dest else set()  # a default dest is the job's own
    failures = sum(record['status'] != 'ok' for record in records.values())
    count = len(items)
    for item in items:
        if item.name in records:
            continue
        ctx.check()
        ctx.message(f'{len(records) + 1}/{count} · {item.name}' + (f' · {failures} failed' if failures else ''))
        started = time.monotonic()
        record: dict[str, Any] = {'item': item.name, 'status': 'ok', 'bytes': item.size, 'seconds': 0.0, 'error': '',
                                  'output': item.output.relative_to(dest).as_posix() if item.output else ''}
        try:
            if inputs and item.output is not None and item.output.resolve() in inputs:
                raise ValueError(f"its output '{item.output}' is an input file; choose another dest")
            record |= operation(ctx, item, params)
        except Exception as exc:
            # The batch's own failure boundary: a bad file is recorded and the batch goes on.
            if ctx.cancelled:  # the error came from stopping the work (a killed ffmpeg), not from the file
                raise
            record |= {'status': 'failed', 'error': ops.describe_error(exc), 'output': ''}
            failures += 1
            ctx.log(f'failed: {item.name}: {type(exc).__name__}: {exc}')
        record['seconds'] = round(time.monotonic() - started, 3)
        record['attempt'] = ctx.attempt
        journal.append(record)  # from here on the item is done, whatever happens to the process
        records[item.name] = record
        done_units += cost(item)
        ctx.set_current(done_units)
        ctx.checkpoint({'done': len(records), 'failed': failures})


def _summary(params: BatchParams, dest: Path, rows: list[dict[str, Any]]) -> dict[str, Any]:
    ok = [row for row in rows if row['status'] == 'ok']
    return {'operation': params.operation, 'source': params.source, 'pattern': params.pattern,
            'dest': None if params.operation == 'checksum' else str(dest), 'total': len(rows), 'ok': len(ok),
            'failed': len(rows) - len(ok), 'bytes': sum(row['bytes'] for row in ok),
            'seconds': round(sum(row['seconds'] for row in rows), 3)}


def _suffix(params: BatchParams) -> Callable[[Path], str] | None:
    if params.operation == 'checksum':
        return None
    if params.operation == 'copy':
        return lambda path: path.suffix
    if params.operation == 'video_transcode':
        return lambda path: ffmpeg.output_suffix(params.codec, path)
    return lambda path: output_suffix(path, params.format)


def _files(count: int) -> str:
    return f'{count} file' if count == 1 else f'{count} files'


def _unit(params: BatchParams) -> str:
    return 'images' if params.operation.startswith('image_') else 'files'
