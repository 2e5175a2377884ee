"""Helpers shared by the benchmarks: a throw-away data dir, a started engine, and a printed table."""

from __future__ import annotations

import os
import platform
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # `python bench/x.py` puts bench/ on the path, not the project
    sys.path.insert(0, str(ROOT))

if TYPE_CHECKING:
    from progress_app.runtime.service import JobService

T = TypeVar('T')
LOAD_AT_START = os.getloadavg()[0]  # before this benchmark adds its own


@contextmanager
def tmp_dir(prefix: str, keep: bool = False) -> Iterator[Path]:
    """A temporary folder (never the repo's data/), removed afterwards unless `keep`."""
    if keep:
        path = Path(tempfile.mkdtemp(prefix=f'progress-bench-{prefix}-'))
        print(f'(data kept in {path})')
        yield path
        return
    with tempfile.TemporaryDirectory(prefix=f'progress-bench-{prefix}-') as name:
        yield Path(name)


@contextmanager
def running_service(data_dir: Path, workers: int, **settings: Any) -> Iterator[JobService]:
    """A started Engine + JobService on a SQLite file in `data_dir` (more `Settings` in `settings`); stopped at the
    end."""
    from progress_app.config import Settings
    from progress_app.runtime.engine.engine import Engine
    from progress_app.runtime.service import JobService

    service = JobService(Engine(Settings(data_dir=data_dir, workers=workers, **settings)))
    service.startup()
    try:
        yield service
    finally:
        service.shutdown()


def start_app(data_dir: Path, *flags: str, env: dict[str, str] | None = None,
              timeout: float = 90) -> tuple[subprocess.Popen[bytes], str, Path]:
    """The real app (`app.py`) in a subprocess on a free 127.0.0.1 port with `data_dir` and `flags`, its output in
    `<data_dir>/../app.log`; returns once /api/health answers: (process, base URL, log file)."""
    import httpx

    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        port = s.getsockname()[1]
    log = data_dir.parent / 'app.log'
    environment = {k: v for k, v in os.environ.items() if k != 'PYTEST_CURRENT_TEST'}
    environment.update({'PYTHONUNBUFFERED': '1', **(env or {})})
    with log.open('ab') as f:
        proc = subprocess.Popen([sys.executable, str(ROOT / 'app.py'), '--no-browser', '--host', '127.0.0.1',
                                 '--port', str(port), '--data-dir', str(data_dir), *flags],
                                cwd=ROOT, env=environment, stdout=f, stderr=subprocess.STDOUT)
    url = f'http://127.0.0.1:{port}'

    def healthy() -> bool:
        if proc.poll() is not None:
            raise SystemExit(f'the app exited with {proc.returncode}:\n{log.read_text(errors="replace")}')
        try:
            return httpx.get(f'{url}/api/health', timeout=2).status_code == 200
        except httpx.TransportError:
            return False

    wait_until(healthy, timeout=timeout, interval=0.05, what='the app to answer')
    return proc, url, log


def stop_app(proc: subprocess.Popen[bytes]) -> None:
    """Stop the app as Ctrl+C does (killed if it takes longer than 20 s)."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)


def wait_until(condition: Callable[[], T], timeout: float, interval: float = 0.005, what: str = 'condition') -> T:
    """Poll `condition` until it returns something truthy; raise TimeoutError after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f'timed out after {timeout} s waiting for {what}')
        time.sleep(interval)


def machine_note() -> str:
    """Cores and load: numbers taken on a busy machine are not comparable with quiet ones."""
    cores = os.cpu_count() or 1
    busy = ' (BUSY: other programs compete for the cores; expect slower, noisier numbers)' \
        if LOAD_AT_START > cores * 0.75 else ''
    return f'{cores} cores, load average {LOAD_AT_START:.1f} at start{busy}, Python {platform.python_version()}'


def verdict(ok: bool) -> str:
    return 'PASS' if ok else 'MISS'


def print_table(headers: Sequence[str], rows: Sequence[Sequence[Any]], title: str | None = None) -> None:
    """A plain fixed-width table: first column left-aligned, the rest right-aligned."""
    cells = [[str(h) for h in headers], *[[_cell(v) for v in row] for row in rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]

    def line(row: Sequence[str]) -> str:
        return '  '.join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(row, widths, strict=True)))

    if title:
        print(f'\n{title}')
    print(line(cells[0]))
    print('  '.join('-' * w for w in widths))
    for row in cells[1:]:
        print(line(row))


def _cell(value: Any) -> str:
    if isinstance(value, float):
        return f'{value:,.1f}' if abs(value) >= 100 else f'{value:.2f}' if abs(value) >= 1 else f'{value:.3f}'
    return str(value)
