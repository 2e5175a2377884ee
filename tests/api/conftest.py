from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.helpers import AppProcess


@pytest.fixture(scope='module')
def app(tmp_path_factory) -> Iterator[AppProcess]:
    """One real app (subprocess on 127.0.0.1) shared by the tests of a module."""
    proc = AppProcess(tmp_path_factory.mktemp('api') / 'data', '--workers', '2').start()
    yield proc
    proc.stop()
    proc.client.close()
