"""`--allowed-dirs` / PROGRESS_APP_ALLOWED_DIRS: parsed, validated at start, and a bad value stops the app in one
line. Decided: each folder must be absolute (`~` is expanded) and exist — a relative one would depend on where the
app was started, and a typo would refuse every job."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from progress_app.config import parse_settings
from progress_app.errors import ConfigError
from progress_app.runtime.settings.preferences import allowed_folders, effective
from tests.helpers import ROOT


def test_the_flag_takes_folders_separated_by_pathsep_or_commas(tmp_path: Path):
    a, b, c = (tmp_path / name for name in 'abc')
    for folder in (a, b, c):
        folder.mkdir()
    settings = parse_settings(['--allowed-dirs', f'{a}{os.pathsep}{b}, {c}'], env={})
    assert settings.allowed_dirs == (a, b, c)
    from_env = parse_settings([], env={'PROGRESS_APP_ALLOWED_DIRS': f'{a},{b}'})
    assert from_env.allowed_dirs == (a, b)
    assert parse_settings([], env={}).allowed_dirs is None


def test_the_flag_wins_over_the_saved_list_and_applies_on_loopback_too(tmp_path: Path):
    settings = parse_settings(['--allowed-dirs', str(tmp_path)], env={})
    prefs = effective(settings, {'allowed_dirs': ['/srv']})
    assert prefs.allowed_dirs == [str(tmp_path)]
    # and the app's uploads folder, always: what was sent to the app is there for its jobs
    assert allowed_folders(settings, prefs) == (tmp_path.resolve(), (settings.data_dir / 'uploads').resolve())


@pytest.mark.parametrize(('value', 'said'), [
    ('videos', "--allowed-dirs: 'videos' is not an absolute path"),
    ('{tmp}/missing', "--allowed-dirs: '{tmp}/missing' does not exist"),
    ('{tmp}/file.txt', "--allowed-dirs: '{tmp}/file.txt' is not a folder"),
    (' , ', '--allowed-dirs: must name at least one folder'),
])
def test_a_bad_folder_is_one_clear_line(tmp_path: Path, value: str, said: str):
    (tmp_path / 'file.txt').write_text('x')
    with pytest.raises(ConfigError) as exc:
        parse_settings(['--allowed-dirs', value.format(tmp=tmp_path)], env={})
    assert str(exc.value).startswith(said.format(tmp=tmp_path))
    with pytest.raises(ConfigError, match=r'^PROGRESS_APP_ALLOWED_DIRS: '):
        parse_settings([], env={'PROGRESS_APP_ALLOWED_DIRS': value.format(tmp=tmp_path)})


def test_the_app_exits_with_2_and_one_line(tmp_path: Path):
    result = subprocess.run([sys.executable, str(ROOT / 'app.py'), '--no-browser', '--data-dir', str(tmp_path),
                             '--allowed-dirs', 'relative/videos'],
                            capture_output=True, text=True, timeout=60, env={'PATH': '/usr/bin:/bin'})
    assert result.returncode == 2
    assert result.stderr.strip() == ("app.py: error: --allowed-dirs: 'relative/videos' is not an absolute path: name "
                                     "the folder from / (or ~) (got 'relative/videos')")
