from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests import fixture_kinds
from tests.helpers import AppProcess


@pytest.fixture(scope='module')
def app(tmp_path_factory) -> Iterator[AppProcess]:
    """One real app (subprocess on 127.0.0.1) shared by the tests of a module, with the test kinds as a plugin."""
    data = tmp_path_factory.mktemp('api') / 'data'
    fixture_kinds.install(data / 'plugins')
    proc = AppProcess(data, '--workers', '4').start()
    yield proc
    proc.stop()
    proc.client.close()
