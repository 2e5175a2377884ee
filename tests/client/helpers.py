"""Running real client scripts against the real app, and finding their jobs."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from tests.helpers import ROOT, AppProcess, wait_until

SCRIPTS = Path(__file__).parent / 'scripts'


def start_script(name: str, *args: str, url: str, stderr: Any = subprocess.PIPE,
                 token: str | None = None) -> subprocess.Popen[str]:
    """`python tests/client/scripts/<name>.py args…` reporting to the app at `url` (with PROGRESS_APP_TOKEN)."""
    return subprocess.Popen([sys.executable, str(SCRIPTS / f'{name}.py'), *args], cwd=ROOT, env=_env(url, token),
                            text=True, stdout=subprocess.PIPE, stderr=stderr)


def cli(*args: str, url: str) -> subprocess.Popen[str]:
    """`progress-app …` (the package's command, as `python -m progress_app.cli`) reporting to `url`."""
    return subprocess.Popen([sys.executable, '-m', 'progress_app.cli', *args], cwd=ROOT, env=_env(url), text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def _env(url: str, token: str | None = None) -> dict[str, str]:
    # Without PYTEST_CURRENT_TEST: NiceGUI (`progress-app serve`) would otherwise think it runs inside pytest.
    env = {k: v for k, v in os.environ.items() if k not in ('PYTEST_CURRENT_TEST', 'PROGRESS_APP_TOKEN')}
    return {**env, 'PROGRESS_APP_URL': url, **({'PROGRESS_APP_TOKEN': token} if token else {})}


def job_named(app: AppProcess, name: str, timeout: float = 20) -> dict[str, Any]:
    """The newest external job called `name` (waits until there is one)."""
    def find() -> dict[str, Any] | None:
        items = app.client.get('/api/jobs', params={'kind': 'external', 'limit': 1000}).json()['items']
        return next((job for job in items if job['name'] == name), None)

    return wait_until(find, timeout, 0.02, f'a job named {name!r}')


def read_state(path: Path) -> tuple[int, int]:
    """(items done, ticks) as scripts/count.py wrote them; (0, 0) before its first write."""
    try:
        done, ticks = path.read_text().split()
    except (FileNotFoundError, ValueError):
        return 0, 0
    return int(done), int(ticks)


def progress_lines(stderr: str) -> list[str]:
    return [line for line in stderr.replace('\r', '\n').splitlines() if line.startswith('progress-app:')]
