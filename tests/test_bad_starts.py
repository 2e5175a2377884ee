"""Starting the real app in bad conditions: one clear line and exit 2, nothing touched; a clean stop is quiet."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import sqlite3
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import ROOT, AppProcess, free_port, wait_until


def start(data_dir: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """`python app.py` expected to refuse to start."""
    return subprocess.run([sys.executable, str(ROOT / 'app.py'), '--no-browser', '--data-dir', str(data_dir),
                           '--port', str(free_port()), *args], capture_output=True, text=True, timeout=60,
                          env={**os.environ, **(env or {})}, cwd=ROOT)


def made_database(data_dir: Path) -> Path:
    """A real database with jobs in it, written by the app and closed."""
    proc = AppProcess(data_dir).start()
    try:
        for _ in range(30):
            proc.submit('demo', {'items': 1, 'item_seconds': 0}, name='x' * 100)
    finally:
        proc.stop()
        proc.client.close()
    return data_dir / 'progress.db'


def damage(path: Path, how: str) -> None:
    data = path.read_bytes()
    if how == 'garbage page':
        page = 4096
        path.write_bytes(data[:page * 2] + os.urandom(page) + data[page * 3:])
    elif how == 'truncated':
        path.write_bytes(data[:len(data) // 3 + 100])
    else:
        path.write_bytes(b'%PDF-1.4 not a database at all\n' * 200)


@pytest.mark.parametrize('how', ['garbage page', 'truncated', 'foreign file'])
def test_a_damaged_database_is_refused_in_one_line(tmp_path, how):
    db = made_database(tmp_path / 'data')
    shutil.copy(db, tmp_path / 'data' / 'progress.db.bak-1')
    for extra in ('-wal', '-shm'):
        (db.parent / (db.name + extra)).unlink(missing_ok=True)
    damage(db, how)
    before = db.read_bytes()
    result = start(tmp_path / 'data')
    assert result.returncode == 2, result.stdout + result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert 'is damaged or not a Progress App database' in lines[0]
    assert str(db) in lines[0] and 'progress.db.bak-1' in lines[0] and 'move the file aside' in lines[0]
    assert 'ready to go' not in result.stdout
    assert db.read_bytes() == before


def test_an_unexpected_error_at_run_time_answers_json_and_is_logged(app_process):
    app = app_process()
    with sqlite3.connect(app.data_dir / 'progress.db') as connection:  # the database changed under the app
        connection.execute('DROP TABLE job_event')
        connection.execute('DROP TABLE job')
    answer = app.client.post('/api/jobs', json={'kind': 'demo', 'params': {}})
    assert answer.status_code == 500
    assert answer.headers['content-type'] == 'application/json'
    assert answer.json() == {'detail': 'internal error (OperationalError); the app log has the details'}
    wait_until(lambda: 'Traceback' in app.output() and 'no such table' in app.output(), message=app.output)


def test_a_busy_port_is_said_in_one_line(tmp_path):
    with socket.socket() as taken:
        taken.bind(('127.0.0.1', 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run([sys.executable, str(ROOT / 'app.py'), '--no-browser', '--port', str(port),
                                 '--data-dir', str(tmp_path / 'data')], capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert result.stderr.strip() == f'app.py: error: port {port} is in use; pick another with --port'
    assert 'ready to go' not in result.stdout


def test_ctrl_c_stops_in_one_line_and_the_data_is_private(tmp_path):
    proc = AppProcess(tmp_path / 'data').start()
    try:
        proc.submit('demo', {'items': 1, 'item_seconds': 0})
        assert proc.proc is not None
        proc.proc.send_signal(signal.SIGINT)
        assert proc.proc.wait(30) == 0
    finally:
        proc.kill()
        proc.client.close()
    output = proc.output()
    assert 'Traceback' not in output and 'KeyboardInterrupt' not in output and 'CancelledError' not in output
    assert output.strip().splitlines()[-1].startswith('Progress App stopped')
    assert stat.S_IMODE((tmp_path / 'data').stat().st_mode) == 0o700
    assert stat.S_IMODE((tmp_path / 'data' / 'progress.db').stat().st_mode) == 0o600


def test_the_password_can_come_from_a_file(tmp_path):
    secret = tmp_path / 'password'
    secret.write_text('from a file\n')
    proc = AppProcess(tmp_path / 'data', '--password-file', str(secret)).start()
    try:
        assert proc.client.get('/api/jobs').status_code == 401
        assert proc.client.get('/api/jobs', headers={'Authorization': 'Bearer from a file'}).status_code == 200
    finally:
        proc.stop()
        proc.client.close()
    missing = start(tmp_path / 'data', '--password-file', str(tmp_path / 'nope'))
    assert missing.returncode == 2
    assert missing.stderr.strip().startswith('app.py: error: --password-file: cannot read')
    assert len(missing.stderr.strip().splitlines()) == 1


def test_a_database_server_that_cannot_be_reached_is_said_in_one_line(tmp_path):
    url = f'postgresql+psycopg://me:secret@127.0.0.1:{free_port()}/progress'  # nothing listens there
    result = start(tmp_path / 'data', '--database-url', url)
    assert result.returncode == 2, result.stdout + result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"app.py: error: cannot connect to the database {url.replace('secret', '***')}: ")
    assert 'Connection refused' in lines[0] and 'ready to go' not in result.stdout
