"""`python app.py --native` opens a desktop window (pywebview with Qt) that loads the app — under Xvfb here."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time

import pytest

from tests.helpers import ROOT, free_port, wait_until

HEADER_BLUE = (0x1E, 0x63, 0xD6)  # the header's colour: seen only once the page has rendered


def blue_pixels(display: str) -> int:
    from PIL import ImageGrab

    image = ImageGrab.grab(xdisplay=display).convert('RGB').resize((320, 225))
    return sum(1 for pixel in image.get_flattened_data()
               if all(abs(channel - want) < 14 for channel, want in zip(pixel, HEADER_BLUE, strict=True)))


@pytest.fixture
def xvfb():
    if not shutil.which('Xvfb'):
        pytest.skip('Xvfb is not installed (apt-get install xvfb); .ci/run installs it')
    read, write = os.pipe()
    proc = subprocess.Popen(['Xvfb', '-displayfd', str(write), '-screen', '0', '1366x900x24', '-nolisten', 'tcp'],
                            pass_fds=[write], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    os.close(write)
    with os.fdopen(read) as pipe:
        display = ':' + pipe.readline().strip()
    yield display
    proc.terminate()
    proc.wait(10)


def test_native_window_loads_the_app(xvfb, tmp_path):
    pytest.importorskip('webview', reason='pywebview is not installed: pip install -e ".[native]"')
    pytest.importorskip('PyQt6.QtWebEngineWidgets', reason='PyQt6-WebEngine is not installed')
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k != 'PYTEST_CURRENT_TEST'}
    env.pop('PYWEBVIEW_GUI', None)  # as a user starts it: the app itself picks Qt, no GTK attempt first
    env.update(DISPLAY=xvfb, QT_QPA_PLATFORM='xcb', PYTHONUNBUFFERED='1',
               QTWEBENGINE_CHROMIUM_FLAGS='--no-sandbox --disable-gpu')
    log = tmp_path / 'native.log'
    with log.open('wb') as out:
        app = subprocess.Popen([sys.executable, str(ROOT / 'app.py'), '--native', '--port', str(port),
                                '--data-dir', str(tmp_path / 'data')], cwd=ROOT, env=env, stdout=out,
                               stderr=subprocess.STDOUT, start_new_session=True)
    try:
        started = time.monotonic()
        wait_until(lambda: app.poll() is None and blue_pixels(xvfb) > 2000, timeout=60, interval=0.5,
                   message=lambda: f'the window to show the app; exit code {app.poll()}; log:\n{log.read_text()}')
        print(f'native window showed the app after {time.monotonic() - started:.1f} s')
        said = log.read_text()
        assert 'GTK cannot be loaded' not in said and 'ERROR pywebview' not in said and 'Traceback' not in said, said
    finally:
        os.killpg(app.pid, signal.SIGTERM)  # the window runs in a child process of the app
        try:
            app.wait(15)
        except subprocess.TimeoutExpired:
            os.killpg(app.pid, signal.SIGKILL)
            app.wait(5)
