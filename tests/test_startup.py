"""Start-up cost: what `python app.py` does before it can serve (bench/recovery.py measures the time)."""

from __future__ import annotations

import json
import subprocess
import sys

from tests.helpers import ROOT

HEAVY_LATER = ('PIL', 'apprise', 'imageio_ffmpeg')
"""Needed only once an image is read, a notification is sent or ffmpeg runs; each costs every start otherwise."""


def fresh(code: str) -> dict:
    """Run `code` in a fresh interpreter in the project folder; it prints one JSON value."""
    out = subprocess.run([sys.executable, '-c', code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout.splitlines()[-1])


def test_the_app_and_its_builtin_kinds_load_without_the_modules_only_jobs_need():
    loaded = fresh('import json, sys; import progress_app.app; from progress_app.kinds import builtin; '
                   f'builtin.register(); print(json.dumps([m for m in {HEAVY_LATER!r} if m in sys.modules]))')
    assert loaded == []


def test_app_py_freezes_what_its_imports_made_and_leaves_the_collector_on():
    state = fresh("import gc, json, runpy; runpy.run_path('app.py', run_name='imported'); "
                  "print(json.dumps({'enabled': gc.isenabled(), 'frozen': gc.get_freeze_count()}))")
    assert state['enabled'] and state['frozen'] > 50_000


def test_app_py_run_by_niceguis_test_fixture_freezes_nothing():
    """The fixture runs app.py in pytest's process, once per test: what the tests made must stay collectable."""
    state = fresh("import gc, json, runpy; import nicegui; runpy.run_path('app.py', run_name='imported'); "
                  "print(json.dumps({'enabled': gc.isenabled(), 'frozen': gc.get_freeze_count()}))")
    assert state == {'enabled': True, 'frozen': 0}
