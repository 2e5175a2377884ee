"""The per-item work of the `batch` kind. An operation gets one item and writes at most one output, atomically;
it returns the extra fields of the item's record and raises when the item fails. `run_item` turns one plain task
into the item's record: it is what `ctx.map` runs, in the job's thread or in a worker process elsewhere."""

from __future__ import annotations

import hashlib
import shutil
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from progress_app import item_context
from progress_app.kinds import ffmpeg, images
from progress_app.kinds.batch.files import Item, atomic_output
from progress_app.kinds.batch.params import BatchParams

if TYPE_CHECKING:
    from progress_app import JobContext

CHUNK = 1024 * 1024
Operation = Callable[..., dict[str, Any]]
"""`operation(ctx, item, params) -> extra fields of the item's record`; raises when the item fails."""


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


OPERATIONS: dict[str, Operation] = {'checksum': checksum, 'copy': copy, 'image_resize': image_resize,
                                    'image_watermark': image_watermark, 'video_transcode': video_transcode}


def describe_error(exc: Exception) -> str:
    """Why an item failed, in the report's words: 'Permission denied', 'not an image Pillow can read', …."""
    from PIL import UnidentifiedImageError  # here, not at the top: Pillow would add ~20 ms to each start

    if isinstance(exc, UnidentifiedImageError):
        return 'not an image (or in a format Pillow cannot read)'
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    text = str(exc).strip()
    return text if isinstance(exc, OSError | ValueError) and text else f'{type(exc).__name__}: {text}'.rstrip(': ')


def run_item(task: dict[str, Any]) -> dict[str, Any]:
    """One item of a batch: `{'record': its record, 'log': a line for the job's log or None}`.

    `task` is plain data (see kind.py `_tasks`), and so is what comes back: ctx.map may run this in another
    process or on another machine. A failed item is a record too; only a stop of the job raises.
    """
    ctx = item_context()  # the job's own context in its thread: progress inside the item, pause and cancel
    params = BatchParams.model_construct(**task['params'])
    output = Path(task['output']) if task['output'] else None
    item = Item(Path(task['path']), task['name'], task['size'], output)
    started = time.monotonic()
    record: dict[str, Any] = {'item': item.name, 'status': 'ok', 'bytes': item.size, 'seconds': 0.0, 'error': '',
                              'output': output.relative_to(task['dest']).as_posix() if output else ''}
    line = None
    try:
        if task['output_is_input']:
            raise ValueError(f"its output '{output}' is an input file; choose another dest")
        record |= OPERATIONS[params.operation](ctx, item, params)
    except Exception as exc:
        # The batch's own failure boundary: a bad file is recorded and the batch goes on.
        if ctx.cancelled:  # the error came from stopping the work (a killed ffmpeg), not from the file
            raise
        record |= {'status': 'failed', 'error': describe_error(exc), 'output': ''}
        line = f'failed: {item.name}: {type(exc).__name__}: {exc}'
    record['seconds'] = round(time.monotonic() - started, 3)
    record['attempt'] = task['attempt']
    return {'record': record, 'log': line}
