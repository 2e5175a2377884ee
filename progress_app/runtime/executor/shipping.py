"""The plugins folder, shipped to every worker (those that join later too): a Dask worker plugin that carries the
files' sources, writes them to a folder of the worker's own and loads them there as the app did, so a job of a
plugin's kind runs on a worker on another machine."""

from __future__ import annotations

import logging
import shutil
import tempfile
from pathlib import Path
from typing import Any

from distributed import WorkerPlugin

from progress_app.kinds import builtin
from progress_app.kinds.plugins import load_plugins
from progress_app.kinds.registry import registry

log = logging.getLogger(__name__)
NAME = 'progress-app-plugins'


class ShippedPlugins(WorkerPlugin):
    name = NAME

    def __init__(self, folder: Path) -> None:
        self.sources = {path.name: path.read_text() for path in sorted(folder.glob('*.py')) if path.is_file()}
        self._folder: Path | None = None

    def setup(self, worker: Any) -> None:
        builtin.register()
        self._folder = Path(tempfile.mkdtemp(prefix='progress-app-plugins-'))
        for name, text in self.sources.items():
            (self._folder / name).write_text(text)
        kinds, problems = load_plugins(self._folder, registry)
        for problem in problems:
            log.error('plugin %s was not loaded on this worker: %s', Path(problem.path).name, problem.error)
        log.info('plugins loaded on worker %s: %s', worker.address, ', '.join(kinds) or 'none')

    def teardown(self, worker: Any) -> None:
        if self._folder is not None:
            shutil.rmtree(self._folder, ignore_errors=True)
