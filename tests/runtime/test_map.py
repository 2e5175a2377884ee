"""`ctx.map()` with the threads executor: items one by one in the job's thread, results in order, each finished
item's result checkpointed so that a restart or a retry never runs it again, pause and cancel between items."""

from __future__ import annotations

import json
import sqlite3
import time
from pathlib import Path
from typing import Any

from progress_app import JobContext, job_kind
from progress_app.domain.progress import Stage
from progress_app.domain.status import Status
from progress_app.runtime.engine.fanout import item_context
from progress_app.runtime.engine.job import Job
from tests.helpers import wait_until


def square(item: dict[str, Any]) -> Any:
    """Notes each call in a side file; item `hold_at` waits until the `gate` file exists (looking in at the job
    with `item_context().check()` when `checks`, so a pause or a stop reaches it inside the item)."""
    n = item['n']
    with open(item['calls'], 'a') as out:
        out.write(f'{n}\n')
    if n == item['hold_at']:
        gate, ctx = Path(item['gate']), item_context()
        Path(item['calls']).with_suffix('.waiting').touch()
        while not gate.exists():
            if item['checks']:
                ctx.check()
            time.sleep(0.002)  # polls the gate file
    if item['bad']:
        return {n}  # a set is not a JSON value
    return {'n': n, 'square': n * n}


@job_kind('t_map_squares', title='Squares through ctx.map (test)')
def map_squares(ctx: JobContext, calls: str, items: int = 10, hold_at: int = -1, gate: str = '', checks: bool = True,
                bad: bool = False, sized: bool = False) -> list[Any]:
    with ctx.stage('square'):
        work = [{'n': n, 'calls': calls, 'hold_at': hold_at, 'gate': gate, 'checks': checks, 'bad': bad}
                for n in range(items)]
        return ctx.map(square, work, unit='numbers', sizes=[n + 1 for n in range(items)] if sized else None)


def calls(path: Path) -> list[int]:
    return [int(line) for line in path.read_text().split()] if path.exists() else []


def stored_maps(db: Path, job_id: int) -> dict[str, Any]:
    with sqlite3.connect(db) as connection:
        (text,) = connection.execute('SELECT checkpoint FROM job WHERE id = ?', (job_id,)).fetchone()
    checkpoint = json.loads(text) if text else None  # SQL NULL or JSON null before the first write
    return (checkpoint or {}).get('maps', {})


def params(tmp_path: Path, **extra: Any) -> dict[str, Any]:
    return {'calls': str(tmp_path / 'calls.txt'), 'gate': str(tmp_path / 'gate'), **extra}


def held(path: Path, n: int) -> bool:
    """Item `n` is waiting at its gate."""
    return calls(path)[-1:] == [n] and path.with_suffix('.waiting').exists()


def test_results_come_in_order_and_each_finished_item_is_checkpointed(service, tmp_path):
    side = tmp_path / 'calls.txt'
    job = service.submit('t_map_squares', params(tmp_path, hold_at=5))
    live = service.job(job['id'])
    wait_until(lambda: held(side, 5), timeout=20, message='item 5 to wait at its gate')
    db = service.config.data_dir / 'progress.db'
    stored = wait_until(lambda: len(stored_maps(db, job['id']).get('square#0', {})) == 5 and stored_maps(db, job['id']),
                        timeout=10, message='the results of items 0-4 to be stored')
    assert stored == {'square#0': {str(n): {'n': n, 'square': n * n} for n in range(5)}}
    assert (live.progress.current, live.progress.total, live.progress.unit) == (5, 10, 'numbers')

    (tmp_path / 'gate').touch()
    done = service.wait(job['id'], ['completed', 'failed'], timeout=20)
    assert done['status'] == 'completed', done['traceback']
    assert done['result'] == [{'n': n, 'square': n * n} for n in range(10)]
    assert calls(side) == list(range(10))
    assert (done['current'], done['total']) == (10, 10)


def test_sizes_weigh_the_progress_and_a_non_json_result_fails_the_job_clearly(service, tmp_path):
    sized = service.submit('t_map_squares', params(tmp_path, items=4, sized=True))
    done = service.wait(sized['id'], ['completed', 'failed'], timeout=20)
    assert done['status'] == 'completed', done['traceback']
    assert (done['current'], done['total']) == (10, 10)  # 1 + 2 + 3 + 4

    bad = service.submit('t_map_squares', params(tmp_path, items=3, bad=True))
    failed = service.wait(bad['id'], ['completed', 'failed'], timeout=20)
    assert failed['status'] == 'failed'
    assert failed['error'].startswith('TypeError: ctx.map results must be JSON-serialisable'), failed['error']


def test_a_restart_goes_on_at_the_item_in_flight_and_never_reruns_a_finished_one(make_service, tmp_path):
    data, side = tmp_path / 'shared', tmp_path / 'calls.txt'
    first = make_service(data_dir=data)
    job = first.submit('t_map_squares', params(tmp_path, hold_at=5))
    wait_until(lambda: held(side, 5), timeout=20, message='item 5 to wait at its gate')
    first.shutdown()  # interrupts the item at its check; the finished items' results are stored
    assert first.get(job['id'])['status'] == 'queued'

    (tmp_path / 'gate').touch()
    second = make_service(data_dir=data)
    done = second.wait(job['id'], ['completed', 'failed'], timeout=20)
    assert done['status'] == 'completed', done['traceback']
    assert done['attempts'] == 2
    assert done['result'] == [{'n': n, 'square': n * n} for n in range(10)]
    assert calls(side) == [0, 1, 2, 3, 4, 5, 5, 6, 7, 8, 9], 'only the item in flight ran twice'


def test_a_pause_stops_the_map_between_items(service, tmp_path):
    side = tmp_path / 'calls.txt'
    job = service.submit('t_map_squares', params(tmp_path, hold_at=3, checks=False))
    live = service.job(job['id'])
    wait_until(lambda: held(side, 3), timeout=20, message='item 3 to wait at its gate')
    service.pause(job['id'])
    (tmp_path / 'gate').touch()  # item 3 finishes; the map stops before item 4
    wait_until(lambda: live.status is Status.PAUSED, timeout=10, message='the job to be paused')
    assert calls(side) == [0, 1, 2, 3] and live.progress.current == 4

    service.resume(job['id'])
    done = service.wait(job['id'], ['completed', 'failed'], timeout=20)
    assert done['status'] == 'completed', done['traceback']
    assert calls(side) == list(range(10))


def test_a_cancel_stops_the_map_and_a_retry_goes_on_without_redoing_finished_items(service, tmp_path):
    side = tmp_path / 'calls.txt'
    job = service.submit('t_map_squares', params(tmp_path, hold_at=3))
    wait_until(lambda: held(side, 3), timeout=20, message='item 3 to wait at its gate')
    assert service.cancel(job['id'])['status'] == 'cancelled'
    assert calls(side) == [0, 1, 2, 3]

    (tmp_path / 'gate').touch()
    service.retry(job['id'])
    done = service.wait(job['id'], ['completed', 'failed'], timeout=20)
    assert done['status'] == 'completed', done['traceback']
    assert done['result'] == [{'n': n, 'square': n * n} for n in range(10)]
    assert calls(side) == [0, 1, 2, 3, 3, 4, 5, 6, 7, 8, 9]


def test_map_results_are_part_of_the_checkpoint_and_an_old_checkpoint_without_them_still_loads():
    def job() -> Job:
        return Job(id=1, name='j', kind='k', status=Status.QUEUED, priority=0, params={},
                   stages=(Stage('run', 1.0),), created_at=0.0)

    old = job()
    old.restore({'checkpoint': {'state': {'at': 3}, 'track': {'run#0': 3}}})
    assert (old.checkpoint_state, old.track_positions, old.map_results) == ({'at': 3}, {'run#0': 3}, {})
    assert 'maps' not in old.checkpoint_values()

    mapped = job()
    mapped.map_results = {'run#0': {'0': [1], '2': {'a': None}}}
    values = mapped.checkpoint_values()
    assert values == {'state': None, 'track': {}, 'maps': {'run#0': {'0': [1], '2': {'a': None}}}}
    back = job()
    back.restore({'checkpoint': json.loads(json.dumps(values))})
    assert back.map_results == mapped.map_results
    back.forget_checkpoint()
    assert back.checkpoint_values() is None
