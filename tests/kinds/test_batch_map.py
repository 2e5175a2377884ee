"""The `batch` kind's per-file work goes through `ctx.map`: with DaskMapper its files are resized by tasks on a real
LocalCluster's worker processes, and the journal still decides which files are done (a resumed batch does only
the others; a batch whose files all failed tries every file again on retry)."""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from progress_app.domain.progress import Stage
from progress_app.domain.status import Status
from progress_app.kinds.batch import JOURNAL, batch
from progress_app.runtime.engine.job import Job
from tests.runtime.test_map_dask import client, worker_context  # noqa: F401 (the module's cluster fixture)

distributed = pytest.importorskip('distributed')
ITEMS = 6


def photos(folder: Path) -> list[str]:
    folder.mkdir()
    names = [f'IMG_{i:04d}.jpg' for i in range(ITEMS)]
    Image.effect_noise((160, 120), 40).convert('RGB').save(folder / names[0])
    for name in names[1:]:
        shutil.copyfile(folder / names[0], folder / name)
    return names


def run_batch(values: dict[str, Any], folder: str) -> dict[str, Any]:
    """The batch job function in a Dask task on a worker, as a Dask executor runs it."""
    job = Job(id=11, name='batch', kind='batch', status=Status.RUNNING, priority=0, params=values,
              stages=(Stage('run', 1.0),), created_at=0.0)
    job.attempts = 1
    ctx, _ = worker_context(job, Path(folder))
    result = batch(ctx, **values)
    return {'result': result, 'current': job.progress.current, 'total': job.progress.total,
            'unit': job.progress.unit, 'message': job.progress.message, 'maps': job.map_results}


def test_a_batch_resizes_its_files_in_worker_tasks_and_a_resumed_one_skips_the_journalled_files(client, tmp_path):  # noqa: F811
    source = tmp_path / 'photos'
    names = photos(source)
    out = tmp_path / 'out'
    out.mkdir()
    earlier = [{'item': name, 'status': 'ok', 'bytes': 1, 'seconds': 0.0, 'error': '', 'output': name,
                'size': '1x1', 'attempt': 1} for name in names[:2]]
    (out / JOURNAL).write_text(''.join(json.dumps(record) + '\n' for record in earlier))
    values = {'source': str(source), 'pattern': '*.jpg', 'operation': 'image_resize', 'width': 40}

    with distributed.get_task_stream(client) as stream:
        done = client.submit(run_batch, values, str(tmp_path), pure=False).result(timeout=60)
    assert done['result']['ok'] == ITEMS and done['result']['failed'] == 0
    assert (done['current'], done['total'], done['unit']) == (ITEMS, ITEMS, 'images')
    assert done['maps'] == {}, 'the journal is the record of finished files: the checkpoint keeps no records'
    ran = sorted(int(task['key'].split('-')[2]) for task in stream.data if task['key'].startswith('run_item-'))
    assert ran == list(range(2, ITEMS)), 'each file not in the journal ran once, as its own task'
    workers = {task['worker'] for task in stream.data if task['key'].startswith('run_item-')}
    assert workers <= set(client.scheduler_info()['workers'])

    files = out / 'files'
    assert sorted(p.name for p in files.iterdir()) == names[2:], 'the journalled files were not done again'
    for name in names[2:]:
        with Image.open(files / name) as image:
            assert image.size == (40, 30)
    report = json.loads((out / 'report.json').read_text())
    assert [row['item'] for row in report['items']] == names
    assert [row['attempt'] for row in report['items']] == [1] * ITEMS
    assert not (out / JOURNAL).exists()


def test_a_batch_whose_files_all_failed_tries_every_file_again_on_retry(service, tmp_path):
    source = tmp_path / 'images'
    source.mkdir()
    for name in ('a.png', 'b.png'):
        (source / name).write_text('no image')
    job = service.submit('batch', {'source': str(source), 'operation': 'image_watermark', 'text': 'x'})
    assert service.wait(job['id'], ['completed', 'failed'], timeout=30)['status'] == 'failed'

    for name in ('a.png', 'b.png'):
        Image.new('RGB', (50, 40), 'navy').save(source / name)
    service.retry(job['id'])
    done = service.wait(job['id'], ['completed', 'failed'], timeout=30)
    assert done['status'] == 'completed', done['error']
    assert (done['result']['ok'], done['result']['failed']) == (2, 0)


def test_a_batch_runs_under_the_processes_executor_as_under_threads(make_service, tmp_path):
    source = tmp_path / 'photos'
    names = photos(source)
    service = make_service(executor='processes', executor_workers=2)
    job = service.submit('batch', {'source': str(source), 'operation': 'image_resize', 'width': 40})
    done = service.wait(job['id'], ['completed', 'failed'], timeout=60)
    assert done['status'] == 'completed', done['traceback']
    assert (done['result']['ok'], done['result']['failed']) == (ITEMS, 0)
    assert (done['current'], done['total'], done['unit']) == (ITEMS, ITEMS, 'images')
    assert done['message'] == f'{ITEMS} files resized'
    folder = service.config.job_paths.output_dir(job['id'])
    assert sorted(p.name for p in (folder / 'files').iterdir()) == names
    assert [row['item'] for row in json.loads((folder / 'report.json').read_text())['items']] == names
    assert not (folder / JOURNAL).exists()
    log = service.config.job_paths.log_file(job['id']).read_text()
    pid = int(re.search(r'\[progress-app\] runs on worker \S+ \(.*, pid (\d+)\)', log)[1])
    assert pid != os.getpid(), 'the job ran in a worker process'
