"""Real-browser tests: the real app in a subprocess, driven by Playwright in Debian's headless Chromium."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers import ROOT

CHROMIUM = os.environ.get('PROGRESS_APP_CHROMIUM', '/usr/bin/chromium')
ARTIFACTS = ROOT / 'test-artifacts'
# Without the background-networking flags Chromium keeps dialling Google on this closed network.
CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-background-networking',
                 '--disable-component-update', '--disable-sync', '--no-first-run']


@pytest.fixture(scope='module')
def browser() -> Iterator:
    """Per module: Playwright's sync API runs an event loop in this thread while it is open, which would stop
    pytest-asyncio from running the async UI tests that come after."""
    if not Path(CHROMIUM).exists():
        pytest.skip(f'{CHROMIUM} is not installed (apt-get install chromium); .ci/run installs it')
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser) -> Iterator:
    context = browser.new_context(viewport={'width': 1400, 'height': 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


def screenshot(page, name: str) -> Path:
    """Save a screenshot as a test artifact (test-artifacts/<name>.png) for a person to look at."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f'{name}.png'
    page.screenshot(path=str(path), full_page=True)
    return path
