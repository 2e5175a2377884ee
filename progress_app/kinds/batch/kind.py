"""The `batch` job: scan, process each item (journalled), report. See the package's docstring."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from progress_app.errors import JobFailed
from progress_app.kinds import ffmpeg
from progress_app.kinds.batch.files import Item, list_items, plan_outputs
from progress_app.kinds.batch.operations import run_item
from progress_app.kinds.batch.params import BatchParams
from progress_app.kinds.batch.records import MANIFEST, Journal, write_manifest, write_report
from progress_app.kinds.images import output_suffix
from progress_app.kinds.registry import job_kind

if TYPE_CHECKING:
    from progress_app import JobContext

WORDS = {'checksum': ('hash', 'hashed'), 'copy': ('copy', 'copied'), 'image_resize': ('resize', 'resized'),
         'image_watermark': ('watermark', 'watermarked'), 'video_transcode': ('transcode', 'transcoded')}
"""Per operation: the name of its work stage, and what the final message says was done."""
BY_BYTES = ('checksum', 'copy', 'video_transcode')
"""Operations whose cost follows the file size: their progress is in bytes; the image ones count images."""
JOURNAL = 'journal.jsonl'
OUTPUTS = 'files'
"""Where the outputs go inside the job's output folder when no `dest` is given."""
LISTED_FAILURES = 20


class BatchFailed(JobFailed):
    """Every file failed, or none is left to do: an expected failure, logged in one line."""


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
        found = list_items(source, params.pattern, params.recursive, skip=(output_dir.resolve(), dest.resolve()))
        items = plan_outputs(found, dest, _suffix(params))
        if not items:
            raise BatchFailed(f"no file matches '{params.pattern}' in '{source}' any more")
        total_bytes = sum(item.size for item in items)
        ctx.log(f'{_files(len(items))}, {total_bytes / 1e6:.1f} MB; operation {params.operation}, outputs in {dest}')

    journal = Journal(output_dir / JOURNAL)
    earlier = journal.load()
    records = {item.name: earlier[item.name] for item in items if item.name in earlier}
    by_bytes = params.operation in BY_BYTES and total_bytes > 0
    covered, unit = (total_bytes, 'bytes') if by_bytes else (len(items), _unit(params.operation))
    with ctx.stage(work):
        ctx.set_total(covered, unit)
        if records:
            ctx.log(f'resuming: {len(records)} of {len(items)} files were finished before, they are not done again')
        try:
            _process(ctx, values, dest, items, records, journal, unit, by_bytes)
        finally:
            journal.close()
        rows = [records[item.name] for item in items]
        failed = [row for row in rows if row['status'] != 'ok']
        if len(failed) == len(rows):
            write_report(output_dir, _summary(params, dest, rows), rows)
            journal.clear()  # a retry tries every file again
            raise BatchFailed(f"all {_files(len(rows))} failed; the first, '{rows[0]['item']}': {rows[0]['error']}")

    with ctx.stage('report'):
        ctx.set_total(covered, unit)  # the report covers every file: "12 / 12 images" once done
        summary = _summary(params, dest, rows)
        write_report(output_dir, summary, rows)
        if params.operation == 'checksum':
            write_manifest(output_dir / MANIFEST, rows)
        ctx.message(f'{len(rows) - len(failed)} of {len(rows)} files {verb} · {len(failed)} failed (see report.csv)'
                    if failed else f'{_files(len(rows))} {verb}')
        ctx.log(f"{summary['ok']} ok, {summary['failed']} failed; report in report.csv and report.json")
        ctx.set_current(covered)
    result = {'operation': params.operation, 'items': len(rows)}
    result |= {key: summary[key] for key in ('ok', 'failed', 'bytes', 'dest')}
    result |= {'warnings': len(failed), 'report': 'report.csv',
               'failures': [{'item': row['item'], 'error': row['error']} for row in failed[:LISTED_FAILURES]]}
    if params.operation == 'checksum':
        result['manifest'] = MANIFEST
    # Last, so the job's download (its output folder) is the report and the outputs: the journal is internal, and
    # report.json has its records. Only a crash in the moment before the job is recorded completed would redo all.
    journal.clear()
    return result


def _process(ctx: JobContext, values: dict[str, Any], dest: Path, items: list[Item],
             records: dict[str, dict[str, Any]], journal: Journal, unit: str, by_bytes: bool) -> None:
    """Do the items that `records` does not list yet, adding their records (with `ctx.map`: one by one in the
    job's thread, or on the executor's workers). Progress counts each item's size (bytes), or 1 per item."""
    failures = sum(record['status'] != 'ok' for record in records.values())
    count = len(items)
    waiting = iter([item for item in items if item.name not in records])  # in the order ctx.map starts them

    def show_next() -> None:
        following = next(waiting, None)
        if following is not None:
            shown = f'{len(records) + 1}/{count} · {following.name}'
            ctx.message(shown + (f' · {failures} failed' if failures else ''))

    def on_result(index: int, outcome: dict[str, Any]) -> None:
        nonlocal failures
        record = outcome['record']
        if outcome['log']:
            ctx.log(outcome['log'])
        failures += record['status'] != 'ok'
        journal.append(record)  # from here on the item is done, whatever happens to the process
        records[record['item']] = record
        ctx.checkpoint({'done': len(records), 'failed': failures})
        show_next()

    show_next()
    done = {i: {'record': records[item.name], 'log': None} for i, item in enumerate(items) if item.name in records}
    sizes = [item.size for item in items] if by_bytes else None
    ctx.map(run_item, _tasks(ctx, values, dest, items), unit, sizes=sizes, done=done, on_result=on_result)


def _tasks(ctx: JobContext, values: dict[str, Any], dest: Path, items: list[Item]) -> list[dict[str, Any]]:
    """Each item as plain data for `run_item`."""
    inputs = {item.path.resolve() for item in items} if values.get('dest') else set()  # a default dest is the job's
    return [{'path': str(item.path), 'name': item.name, 'size': item.size, 'dest': str(dest), 'params': values,
             'output': None if item.output is None else str(item.output), 'attempt': ctx.attempt,
             'output_is_input': item.output is not None and item.output.resolve() in inputs}
            for item in items]


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


def _unit(operation: str) -> str:
    return 'images' if operation.startswith('image_') else 'files'
