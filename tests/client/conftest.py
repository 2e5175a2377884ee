from __future__ import annotations

import subprocess
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tests.client.helpers import cli, start_script
from tests.tool_fixtures import served  # noqa: F401 -- the throttled local HTTP server of the live tool tests


def _reaped(start: Callable[..., subprocess.Popen[str]]) -> Iterator[Callable[..., subprocess.Popen[str]]]:
    procs: list[subprocess.Popen[str]] = []

    def run(*args: str, **options: Any) -> subprocess.Popen[str]:
        proc = start(*args, **options)
        procs.append(proc)
        return proc

    yield run
    for proc in procs:
        if proc.poll() is None:
            proc.kill()
        proc.communicate()


@pytest.fixture
def script() -> Iterator[Callable[..., subprocess.Popen[str]]]:
    """Start `tests/client/scripts/<name>.py args…` against an app: `script(name, *args, url=…)`; killed at the
    end of the test if it still runs."""
    yield from _reaped(start_script)


@pytest.fixture
def progress_app() -> Iterator[Callable[..., subprocess.Popen[str]]]:
    """Start `progress-app args…` against an app: `progress_app(*args, url=…)`; killed at the end if it runs."""
    yield from _reaped(cli)
