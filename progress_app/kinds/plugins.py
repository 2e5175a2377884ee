"""Plugins: every `<data-dir>/plugins/*.py` is imported at start-up; its `@job_kind` functions become kinds.

A plugin that fails to import is reported (file, error, line) and skipped; it never stops the app, and kinds it
registered before failing are removed again.
"""

from __future__ import annotations

import importlib.util
import logging
import sys
import traceback
from dataclasses import dataclass
from pathlib import Path

from progress_app.kinds.registry import Registry

log = logging.getLogger(__name__)
MODULE_PREFIX = 'progress_app_plugins.'


@dataclass(frozen=True, slots=True)
class PluginProblem:
    path: str
    error: str
    detail: str

    def to_dict(self) -> dict[str, str]:
        return {'path': self.path, 'error': self.error, 'detail': self.detail}


def load_plugins(folder: Path, registry: Registry) -> tuple[list[str], list[PluginProblem]]:
    """Import the plugins in `folder`; returns the kinds they added and the problems met."""
    added: list[str] = []
    problems: list[PluginProblem] = []
    if not folder.is_dir():
        return added, problems
    root = folder.resolve()
    for path in sorted(folder.glob('*.py')):
        if path.name.startswith('_'):
            continue
        if not path.resolve().is_relative_to(root):
            problems.append(PluginProblem(str(path), 'the file links outside the plugins folder; not loaded', ''))
            continue
        before = {k.name for k in registry.all()}
        module_name = MODULE_PREFIX + path.stem
        try:
            spec = importlib.util.spec_from_file_location(module_name, path)
            if spec is None or spec.loader is None:
                raise ImportError('not a loadable Python file')
            module = importlib.util.module_from_spec(spec)
            sys.modules[module_name] = module
            spec.loader.exec_module(module)
        except Exception as exc:
            sys.modules.pop(module_name, None)
            for name in {k.name for k in registry.all()} - before:
                registry.remove(name)
            frames = traceback.extract_tb(exc.__traceback__)
            where = next((f'line {f.lineno}' for f in reversed(frames) if f.filename == str(path)), '')
            error = f'{type(exc).__name__}: {exc}' + (f' ({where})' if where else '')
            problems.append(PluginProblem(str(path), error, ''.join(traceback.format_exception(exc))))
            log.error('plugin %s was not loaded: %s', path, error)
            continue
        new = sorted({k.name for k in registry.all()} - before)
        added.extend(new)
        log.info('plugin %s: kinds %s', path.name, ', '.join(new) or 'none')
    return added, problems
