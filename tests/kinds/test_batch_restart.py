"""A batch in the real app, killed with SIGKILL mid-way and started again on the same data directory: it goes on
at the next unfinished file, never redoes a finished one (their outputs keep their modification times), and
reports every file once."""

from __future__ import annotations

import io
import json
import re
import shutil
import zipfile
from pathlib import Path
from typing import Any

from PIL import Image

from progress_app.config import JobPaths
from progress_app.kinds.batch import JOURNAL
from tests.helpers import AppProcess, wait_until

ITEMS = 30
NAMES = [f'IMG_{i:04d}.jpg' for i in range(ITEMS)]


def make_photos(folder: Path) -> None:
    """Noisy photos that take a noticeable moment each to decode, resize and encode."""
    folder.mkdir()
    Image.effect_noise((1000, 750), 50).convert('RGB').save(folder / NAMES[0], quality=92)
    for name in NAMES[1:]:
        shutil.copyfile(folder / NAMES[0], folder / name)


def journal_items(folder: Path) -> list[dict[str, Any]]:
    """The journal's complete lines, read without touching the file."""
    text = (folder / JOURNAL).read_text() if (folder / JOURNAL).exists() else ''
    return [json.loads(line) for line in text.splitlines(keepends=True) if line.endswith('\n')]


def outputs(folder: Path) -> dict[str, int]:
    """Finished outputs (not the hidden partial file of the item in flight) with their st_mtime_ns."""
    return {p.name: p.stat().st_mtime_ns for p in (folder / 'files').iterdir() if not p.name.startswith('.')}


def completed(app: AppProcess, job_id: int) -> dict[str, Any] | None:
    snapshot = app.job(job_id)
    assert snapshot['status'] in ('queued', 'running', 'completed'), snapshot
    return snapshot if snapshot['status'] == 'completed' else None


def test_a_killed_batch_goes_on_at_the_next_file_and_never_redoes_a_finished_one(app_process, tmp_path):
    source = tmp_path / 'photos'
    make_photos(source)
    params = {'source': str(source), 'pattern': '*.jpg', 'operation': 'image_resize', 'width': 320}
    app = app_process('--workers', '1')

    refused = app.client.post('/api/jobs', json={'kind': 'batch', 'params': params | {'pattern': '*.png'}})
    assert refused.status_code == 422, refused.text
    assert f"no file matches the pattern '*.png' in the folder '{source}'" in refused.text
    assert app.client.get('/api/jobs', params={'kind': 'batch'}).json()['total'] == 0, 'a refused job is not stored'

    job_id = app.submit('batch', params)['id']
    working = wait_until(lambda: (s := app.job(job_id))['stage'] == 'resize' and s['current'] >= 8 and s,
                         timeout=20, message='eight photos to be resized')
    app.kill()
    assert (working['unit'], working['total']) == ('images', ITEMS)
    assert re.fullmatch(rf'\d+/{ITEMS} · IMG_\d{{4}}\.jpg', working['message']), working['message']

    folder = JobPaths.under(app.data_dir).output_dir(job_id)
    finished = [record['item'] for record in journal_items(folder)]
    assert 8 <= len(finished) < ITEMS and len(set(finished)) == len(finished)
    before = outputs(folder)
    assert set(finished) <= before.keys()
    assert len(before.keys() - set(finished)) <= 1, 'only the item in flight may have an output without a record'

    app = app_process('--workers', '1')
    done = wait_until(lambda: completed(app, job_id), timeout=30, interval=0.02, message=f'job {job_id} to complete')
    assert done['attempts'] == 2 and done['progress'] == 100
    assert done['result'] | {'dest': None} == {
        'operation': 'image_resize', 'items': ITEMS, 'ok': ITEMS, 'failed': 0, 'warnings': 0,
        'bytes': ITEMS * (source / NAMES[0]).stat().st_size, 'dest': None, 'report': 'report.csv', 'failures': []}

    after = outputs(folder)
    assert sorted(after) == NAMES and sorted(p.name for p in (folder / 'files').iterdir()) == NAMES
    assert {name: after[name] for name in finished} == {name: before[name] for name in finished}, \
        'outputs finished before the kill are not written again'
    assert not (folder / JOURNAL).exists(), 'the journal is internal: gone once the batch is done'
    report = json.loads((folder / 'report.json').read_text())
    assert [r['item'] for r in report['items']] == NAMES and {r['status'] for r in report['items']} == {'ok'}
    assert [r['item'] for r in report['items'] if r['attempt'] == 1] == finished
    with Image.open(folder / 'files' / NAMES[-1]) as image:
        assert image.size == (320, 240)
    log = app.client.get(f'/api/jobs/{job_id}/log').text
    assert f'resuming: {len(finished)} of {ITEMS} files were finished before' in log

    download = app.client.get(f'/api/jobs/{job_id}/result')
    assert download.status_code == 200
    with zipfile.ZipFile(io.BytesIO(download.content)) as archive:
        names = set(archive.namelist())
        assert names == {'report.csv', 'report.json', *(f'files/{name}' for name in NAMES)}
        assert archive.read('report.csv').decode().splitlines()[0].startswith('item,status,bytes,seconds,error')
