"""`ctx.track()` has item N's checkpoint committed before item N+2 starts, so a crash redoes at most the item in
flight and the one finished just before it — not the items a write-behind cycle had not reached (issue 12)."""

from __future__ import annotations

import json
import random
import sqlite3
import time
from pathlib import Path

from progress_app import JobContext, job_kind
from tests.helpers import AppProcess, wait_until

ITEMS = 3000
KILLS = 5
SIDE_EFFECT_PLUGIN = '''
"""Appends (with fsync) the number of every item it starts to a side file, and a line per attempt."""

import os
import time

from progress_app import JobContext, job_kind


def append(path, line):
    with open(path, 'a') as out:
        out.write(line + '\\n')
        out.flush()
        os.fsync(out.fileno())


@job_kind('side_effect_items', title='Items with a side effect (test)')
def side_effect_items(ctx: JobContext, out: str, items: int = 100, item_seconds: float = 0.005) -> dict:
    append(out, f'attempt {ctx.attempt}')
    for item in ctx.track(range(items), unit='items'):
        append(out, str(item))
        time.sleep(item_seconds)
    return {'attempt': ctx.attempt}
'''


def stored_position(db: Path, job_id: int) -> int:
    with sqlite3.connect(db) as connection:
        (text,) = connection.execute('SELECT checkpoint FROM job WHERE id = ?', (job_id,)).fetchone()
    checkpoint = json.loads(text) if text else None  # SQL NULL or JSON null before the first write
    return (checkpoint or {}).get('track', {}).get('run#0', 0)


@job_kind('t_track_reads_its_checkpoint', title='Reads its own stored checkpoint (test)')
def reads_its_checkpoint(ctx: JobContext, db: str, items: int = 50) -> list[int]:
    """No pause between items: a write-behind writer would fall behind at once."""
    return [stored_position(Path(db), ctx.job_id) for _ in ctx.track(range(items))]


def test_the_checkpoint_of_an_item_is_committed_before_the_item_after_next_starts(service):
    db = service.config.data_dir / 'progress.db'
    job = service.submit('t_track_reads_its_checkpoint', {'db': str(db), 'items': 50})
    done = service.wait(job['id'], ['completed', 'failed'], timeout=20)
    assert done['status'] == 'completed', done['traceback']
    # While item n runs, at least the n - 1 items before the last are in the database (read by another
    # connection), and the loop's last item is committed once the loop ends.
    stored = done['result']
    assert all(position >= n - 1 for n, position in enumerate(stored)), stored
    assert stored_position(db, job['id']) == 50


def attempts(side_file: Path) -> list[list[int]]:
    """The items each attempt started, in order."""
    runs: list[list[int]] = []
    for line in side_file.read_text().split('\n'):
        if line.startswith('attempt'):
            runs.append([])
        elif line:
            runs[-1].append(int(line))
    return runs


def test_a_job_killed_at_random_moments_redoes_at_most_one_finished_item(app_process, tmp_path):
    plugins = tmp_path / 'data' / 'plugins'
    plugins.mkdir(parents=True)
    (plugins / 'side_effect.py').write_text(SIDE_EFFECT_PLUGIN)
    side_file = tmp_path / 'items.txt'
    seed = random.randrange(1 << 30)
    chance = random.Random(seed)
    app: AppProcess = app_process('--workers', '1')
    job_id = app.submit('side_effect_items', {'out': str(side_file), 'items': ITEMS})['id']
    for kill in range(KILLS):
        wait_until(lambda k=kill: side_file.exists() and len(attempts(side_file)) == k + 1
                   and len(attempts(side_file)[-1]) >= 2, timeout=20)
        time.sleep(chance.uniform(0, 0.3))  # a random moment of the run: within an item, or between two
        app.kill()
        app = app_process('--workers', '1')
        wait_until(lambda k=kill: len(attempts(side_file)) == k + 2 and attempts(side_file)[-1], timeout=20)
        runs = attempts(side_file)
        last_started, resumed_at = runs[-2][-1], runs[-1][0]
        # Item `last_started` was in flight (or had just ended): it may run again, and the one before it, which
        # had finished. No earlier item may run again, and none may be skipped.
        assert last_started - 1 <= resumed_at <= last_started + 1, (f'kill {kill + 1} (seed {seed}): attempt '
                                                                f'{kill + 1} started item {last_started} last, '
                                                                f'attempt {kill + 2} went on at {resumed_at}')
    app.client.post(f'/api/jobs/{job_id}/cancel')
