"""Helpers shared by the tests: waiting for conditions (never sleeping for them) and running the real app."""

from __future__ import annotations

import asyncio
import os
import random
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import httpx
import psutil

from progress_app.store.engine import create_db_engine
from progress_app.store.repository import Repository

ROOT = Path(__file__).resolve().parent.parent
T = TypeVar('T')


def wait_until(condition: Callable[[], T], timeout: float = 10.0, interval: float = 0.01,
               message: str | Callable[[], str] = 'condition') -> T:
    """Poll `condition` until it returns something truthy; fail with `message` after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            text = message() if callable(message) else message
            raise AssertionError(f'timed out after {timeout} s waiting for {text}')
        time.sleep(interval)


async def until(condition: Callable[[], T], timeout: float = 10.0) -> T:
    """`wait_until` for tests on the app's own event loop (NiceGUI's simulated user): await, never block it."""
    deadline = time.monotonic() + timeout
    while not (value := condition()):
        if time.monotonic() > deadline:
            raise AssertionError(f'timed out after {timeout} s waiting for the condition')
        await asyncio.sleep(0.02)
    return value


@contextmanager
def fresh_repository(url: str) -> Iterator[Repository]:
    """A repository of its own on the database at `url` (what is stored, not the app's memory), closed after."""
    engine = create_db_engine(url)
    try:
        yield Repository(engine)
    finally:
        engine.dispose()


def stored_job(url: str, job_id: int) -> dict[str, Any] | None:
    with fresh_repository(url) as repo:
        return repo.get_job(job_id)


def gone(proc: psutil.Process) -> bool:
    """The process has ended (or is a zombie waiting for its parent): safe against it ending while asked."""
    try:
        return not proc.is_running() or proc.status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


PORTS = range(20_000, 32_000)
"""Where the apps of the tests listen: below the kernel's ephemeral range (32768-60999), from which a port picked
with bind(0) comes and from which every process's own listeners (a Dask worker, a scheduler) and outgoing
connections take theirs. A port picked there was once taken by the app's own Dask worker between the pick and the
app's bind ('port is in use')."""


def free_port() -> int:
    """A port nothing listens on now, outside the ephemeral range (a random one: tests run side by side)."""
    for _ in range(100):
        port = random.choice(PORTS)
        with socket.socket() as s:
            try:
                s.bind(('127.0.0.1', port))
            except OSError:
                continue
            return port
    raise RuntimeError(f'no free port in {PORTS}')


class AppProcess:
    """The real app (`python app.py`) in a subprocess on 127.0.0.1, with an httpx client."""

    def __init__(self, data_dir: Path, *args: str, env: dict[str, str] | None = None, port: int | None = None) -> None:
        self.data_dir = data_dir
        self.args = args
        self.env = env or {}
        self.port = port or free_port()
        self.proc: subprocess.Popen[bytes] | None = None
        self.client = httpx.Client(base_url=f'http://127.0.0.1:{self.port}', timeout=10)
        self.log_path = data_dir.parent / f'app-{self.port}.log'

    @property
    def url(self) -> str:
        return f'http://127.0.0.1:{self.port}'

    def start(self, timeout: float = 30.0) -> AppProcess:
        # Without PYTEST_CURRENT_TEST: NiceGUI would otherwise think it runs inside pytest.
        env = {k: v for k, v in os.environ.items() if k != 'PYTEST_CURRENT_TEST'}
        env.update({'PYTHONUNBUFFERED': '1', **self.env})
        with self.log_path.open('ab') as log:  # the child keeps its own copy of the descriptor
            self.proc = subprocess.Popen([sys.executable, str(ROOT / 'app.py'), '--no-browser', '--port',
                                          str(self.port), '--data-dir', str(self.data_dir), *self.args],
                                         cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        wait_until(self._healthy, timeout, 0.05, lambda: f'the app to answer; its log:\n{self.output()}')
        return self

    def _healthy(self) -> bool:
        assert self.proc is not None
        if self.proc.poll() is not None:
            raise AssertionError(f'the app exited with {self.proc.returncode}; its log:\n{self.output()}')
        try:
            return self.client.get('/api/health').status_code in (200, 401)  # 401: up, behind a password
        except httpx.TransportError:
            return False

    @property
    def db_url(self) -> str:
        """The database the app keeps its data in: --database-url, else SQLite in its data dir."""
        args = list(self.args)
        if '--database-url' in args:
            return args[args.index('--database-url') + 1]
        return f'sqlite:///{(self.data_dir / "progress.db").resolve()}'

    def output(self) -> str:
        return self.log_path.read_text(errors='replace') if self.log_path.exists() else ''

    def kill(self) -> None:
        """SIGKILL: no shutdown hook runs, exactly like a crash or a power cut of the process."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(10)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.kill()

    def job(self, job_id: int) -> dict[str, Any]:
        response = self.client.get(f'/api/jobs/{job_id}')
        response.raise_for_status()
        return response.json()

    def submit(self, kind: str, params: dict[str, Any] | None = None, **extra: Any) -> dict[str, Any]:
        response = self.client.post('/api/jobs', json={'kind': kind, 'params': params or {}, **extra})
        assert response.status_code == 201, response.text
        return response.json()
