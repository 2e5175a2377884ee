"""Property-based checks of the whole HTTP API from its own OpenAPI document, with every check Schemathesis has
(no 500, every status code, header and body documented, Allow headers, schema-valid data accepted, …), on an app
without a password (at least 1,000 generated requests) and on one with a password (the same operations, fewer
examples each: what differs there is only the token check in front of them), fixed seeds."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests import fixture_kinds
from tests.helpers import AppProcess

CONFIG = Path(__file__).with_name('schemathesis.toml')
PASSWORD = 'schemathesis passphrase'


# Well over the suite's 120 s: 1,000+ requests, among them pauses (up to 2 s) and cancels (up to 5 s) of external
# runs whose script never reports, which wait for it as the protocol says (~90 s on an idle machine, more on a busy one)
@pytest.mark.timeout(600)
@pytest.mark.parametrize(('password', 'examples', 'least'), [(None, 20, 1000), (PASSWORD, 10, 250)],
                         ids=['open', 'password'])
def test_the_api_passes_every_schemathesis_check(tmp_path, password, examples, least):
    data = tmp_path / 'data'
    fixture_kinds.install(data / 'plugins')
    app = AppProcess(data, '--workers', '4', env={'PROGRESS_APP_PASSWORD': password} if password else {}).start()
    headers = ['--header', f'Authorization: Bearer {password}'] if password else []
    try:
        result = subprocess.run(
            [sys.executable, '-m', 'schemathesis.cli', '--config-file', str(CONFIG), 'run', f'{app.url}/openapi.json',
             '--checks', 'all', '--seed', '20261202', '--max-examples', str(examples),
             '--exclude-path-regex', 'stream', '--no-color', *headers],
            capture_output=True, text=True, timeout=600, cwd=tmp_path)
    finally:
        app.stop()
        app.client.close()
    output = result.stdout[-8000:] + result.stderr[-2000:]
    assert result.returncode == 0, output
    generated = re.search(r'(\d+) generated', result.stdout)
    assert generated and int(generated.group(1)) >= least, output
