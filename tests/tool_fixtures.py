"""What the live tests of real tools share (the `command` kind's in tests/kinds, `progress-app run`'s in
tests/client): a throttled local HTTP server, a local git repository, a rich bar, and skipping where a tool is
missing."""

from __future__ import annotations

import functools
import http.server
import os
import re
import shutil
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

SIZE = 12_000_000
RATE = 4_000_000  # bytes a second: a download takes ~3 s, long enough for a few updates of every tool
BYTES_SPEED = re.compile(r'\d+(?:\.\d)? [kMG]?B/s$')


def needs(*tools: str) -> pytest.MarkDecorator:
    missing = [tool for tool in tools if shutil.which(tool) is None]
    return pytest.mark.skipif(bool(missing), reason=f'{", ".join(missing)} not installed')


class _Throttled(http.server.SimpleHTTPRequestHandler):
    def copyfile(self, source, outputfile) -> None:
        start, sent = time.monotonic(), 0
        while chunk := source.read(64 * 1024):
            outputfile.write(chunk)
            sent += len(chunk)
            ahead = sent / RATE - (time.monotonic() - start)
            if ahead > 0:
                time.sleep(ahead)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """(base URL, folder): a local HTTP server at RATE bytes a second, serving `big.bin` of SIZE random bytes."""
    root = tmp_path / 'www'
    root.mkdir()
    (root / 'big.bin').write_bytes(os.urandom(SIZE))
    server = http.server.ThreadingHTTPServer(('127.0.0.1', 0), functools.partial(_Throttled, directory=str(root)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f'http://127.0.0.1:{server.server_address[1]}', root
    server.shutdown()
    server.server_close()


def make_repository(path: Path, files: int = 200, size: int = 40_000) -> Path:
    """A bare repository of `files` random files (incompressible: the clone moves files * size bytes)."""
    work = path.with_suffix('.work')
    git = ['git', '-c', 'user.name=t', '-c', 'user.email=t@t', '-C', str(work)]
    subprocess.run(['git', 'init', '-q', str(work)], check=True)
    for i in range(files):
        (work / f'f{i}.bin').write_bytes(os.urandom(size))
    subprocess.run([*git, 'add', '.'], check=True)
    subprocess.run([*git, 'commit', '-qm', 'files'], check=True)
    subprocess.run(['git', 'clone', '-q', '--bare', str(work), str(path)], check=True)
    return path


RICH_BAR = '''
import time
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TransferSpeedColumn
with Progress(TextColumn('{task.description}'), BarColumn(), DownloadColumn(), TransferSpeedColumn()) as bar:
    task = bar.add_task('Fetching', total=30_000_000)
    for _ in range(60):
        time.sleep(0.05)
        bar.update(task, advance=500_000)
'''
"""A Python script drawing a rich download bar for 3 s (rich redraws into a pipe with TTY_COMPATIBLE=1)."""
