from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests import fixture_kinds
from tests.helpers import AppProcess


@pytest.fixture(scope='module')
def app(tmp_path_factory, request, database_kind) -> Iterator[AppProcess]:
    """One real app (subprocess on 127.0.0.1) shared by the tests of a module, with the test kinds as a plugin;
    on a database of its own on PostgreSQL in a module marked `databases`."""
    data = tmp_path_factory.mktemp('api') / 'data'
    fixture_kinds.install(data / 'plugins')
    server = request.getfixturevalue('postgres_server') if database_kind == 'postgres' else None
    url = server.create_database() if server else None
    proc = AppProcess(data, '--workers', '4', *(('--database-url', url) if url else ())).start()
    yield proc
    proc.stop()
    proc.client.close()
    if server and url:
        server.drop_database(url)
