"""The kind for bench/chaos.py. Copied into the app's plugins folder, so it runs in the real server process; the
`_` prefix keeps this file from loading as a plugin where it lies.

`bench_chaos_items` has a real side effect per item: it appends 'job <id> item <n> attempt <a>' to
`<out_dir>/job-<id>.txt` and fsyncs it inside the `ctx.track(...)` loop body, i.e. *before* the item's checkpoint.
Each attempt first writes 'job <id> attempt <a> start'. Afterwards the file tells which items were done more than
once (and by which resume) and which were never done.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Annotated, Any

from pydantic import Field

from progress_app import JobContext, job_kind


def _append(path: Path, line: str) -> None:
    with path.open('a') as out:
        out.write(line + '\n')
        out.flush()
        os.fsync(out.fileno())


@job_kind('bench_chaos_items', title='Benchmark: items with a side effect')
def chaos_items(ctx: JobContext, out_dir: str, items: Annotated[int, Field(ge=1, le=100_000)] = 100,
                item_seconds: Annotated[float, Field(ge=0, le=60)] = 0.05) -> dict[str, Any]:
    """Append one fsynced line per item to a per-job file, inside the tracked loop (before the checkpoint)."""
    path = Path(out_dir) / f'job-{ctx.job_id}.txt'
    _append(path, f'job {ctx.job_id} attempt {ctx.attempt} start')
    for n in ctx.track(range(items), unit='items'):
        if item_seconds:
            time.sleep(item_seconds)
        _append(path, f'job {ctx.job_id} item {n} attempt {ctx.attempt}')
    return {'items': items, 'attempt': ctx.attempt}
