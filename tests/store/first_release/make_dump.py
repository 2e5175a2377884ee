"""How `first_release.sql` was made: the first release's app (`git worktree add /tmp/release1 793ba98`) run on
a fresh data dir, with a job in every status, a checkpointed job interrupted by SIGKILL and a cron schedule, then
`sqlite3 progress.db .dump`. Run: `python tests/store/first_release/make_dump.py /tmp/release1`."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx


def wait(condition, timeout: float = 30.0):
    deadline = time.monotonic() + timeout
    while not (value := condition()):
        assert time.monotonic() < deadline, 'timed out'
        time.sleep(0.05)
    return value


def main(release: Path) -> None:
    data = Path(tempfile.mkdtemp()) / 'data'
    app = subprocess.Popen([sys.executable, str(release / 'app.py'), '--no-browser', '--port', '8691',
                            '--data-dir', str(data), '--workers', '1'], cwd=release)
    client = httpx.Client(base_url='http://127.0.0.1:8691', timeout=10)
    wait(lambda: _up(client))

    def submit(params: dict, **extra) -> int:
        answer = client.post('/api/jobs', json={'kind': 'demo', 'params': params, **extra})
        assert answer.status_code == 201, answer.text
        return answer.json()['id']

    def status(job: int) -> str:
        return client.get(f'/api/jobs/{job}').json()['status']

    done = submit({'items': 3, 'item_seconds': 0}, name='completed one')
    wait(lambda: status(done) == 'completed')
    failed = submit({'items': 3, 'item_seconds': 0, 'fail_at_item': 2}, name='failed one')
    wait(lambda: status(failed) == 'failed')
    cancelled = submit({'items': 1000, 'item_seconds': 0.05}, name='cancelled one')
    wait(lambda: status(cancelled) == 'running')
    client.post(f'/api/jobs/{cancelled}/cancel')
    wait(lambda: status(cancelled) == 'cancelled')
    running = submit({'items': 400, 'item_seconds': 0.05}, name='interrupted one')
    submit({'items': 2, 'item_seconds': 0}, name='queued one')
    paused = submit({'items': 2, 'item_seconds': 0}, name='paused one')
    client.post(f'/api/jobs/{paused}/pause')
    submit({'items': 2, 'item_seconds': 0}, name='scheduled one', run_at='2099-01-01T00:00:00Z')
    schedule = client.post('/api/schedules', json={'kind': 'demo', 'params': {'items': 2}, 'name': 'nightly',
                                                    'cron': '0 3 * * *'})
    assert schedule.status_code == 201, schedule.text
    wait(lambda: client.get(f'/api/jobs/{running}').json()['current'] >= 20)
    time.sleep(0.5)  # let the checkpoint of the items done be committed
    app.kill()
    app.wait()
    with sqlite3.connect(data / 'progress.db') as connection:
        dump = '\n'.join(connection.iterdump())
    (Path(__file__).parent / 'first_release.sql').write_text(dump + '\n')
    print('interrupted job', running, 'checkpoint', sqlite3.connect(data / 'progress.db').execute(
        'SELECT checkpoint FROM job WHERE id = ?', (running,)).fetchone())


def _up(client: httpx.Client) -> bool:
    try:
        return client.get('/api/health').status_code == 200
    except httpx.TransportError:
        return False


if __name__ == '__main__':
    main(Path(sys.argv[1]))
