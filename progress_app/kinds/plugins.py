"""Plugins: every `<data-dir>/plugins/*.py` is imported at start-up; its `@job_kind` functions become kinds.

A plugin that fails to import (syntax error, exception, bad `@job_kind`, even `sys.exit()` or KeyboardInterrupt) is
reported with its file and line and skipped: it never stops the app nor affects other plugins, and kinds it
registered before failing are removed again. Files whose name starts with `_` are helpers, not plugins, and a
file that links outside the plugins folder is never loaded.
"""

from __future__ import annotations

import importlib.util
import logging
import sys
import traceback
from dataclasses import dataclass
from pathlib import Path

from progress_app.kinds.registry import Registry, loading

log = logging.getLogger(__name__)
MODULE_PREFIX = 'progress_app_plugins.'


@dataclass(frozen=True, slots=True)
class PluginProblem:
    path: str
    error: str
    """One line: the exception and where, e.g. "NameError: name 'x' is not defined (line 12)"."""
    detail: str
    """The formatted traceback."""
    line: int | None = None

    def to_dict(self) -> dict[str, str | int | None]:
        return {'path': self.path, 'error': self.error, 'detail': self.detail, 'line': self.line}


def plugin_source(path: Path) -> str:
    """How a plugin's kinds name where they come from."""
    return f'plugins/{path.name}'


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
            log.error('plugin %s links outside %s; not loaded', path, root)
            continue
        if not path.is_file():
            continue
        kinds, problem = load_plugin(path, registry)
        if problem is not None:
            problems.append(problem)
            log.error('plugin %s was not loaded: %s', path, problem.error)
            continue
        added.extend(kinds)
        log.info('plugin %s: kinds %s', path.name, ', '.join(kinds) or 'none')
    return added, problems


def load_plugin(path: Path, registry: Registry) -> tuple[list[str], PluginProblem | None]:
    """Import one plugin file into `registry`: its kinds, or the problem that kept it from loading."""
    source = plugin_source(path)
    for kind in registry.all():  # loaded before in this process (another engine): the file is read afresh
        if kind.source == source:
            registry.remove(kind.name)
    before = {k.name for k in registry.all()}
    module_name = MODULE_PREFIX + path.stem
    try:
        spec = importlib.util.spec_from_file_location(module_name, path)
        if spec is None or spec.loader is None:
            raise ImportError('not a loadable Python file')
        module = importlib.util.module_from_spec(spec)
        sys.modules[module_name] = module  # dataclasses, pickling and typing look the module up by name
        with loading(registry, source):
            spec.loader.exec_module(module)
    # SystemExit and KeyboardInterrupt too: raised by a plugin's top level (`sys.exit()` in a script turned plugin),
    # they would otherwise end the app's start-up, which a plugin must never do.
    except (Exception, SystemExit, KeyboardInterrupt) as exc:
        sys.modules.pop(module_name, None)
        for name in {k.name for k in registry.all()} - before:
            registry.remove(name)
        line = _line_of(exc, path)
        error = f'{type(exc).__name__}: {_reason(exc)}' + (f' (line {line})' if line else '')
        return [], PluginProblem(str(path), error, ''.join(traceback.format_exception(exc)), line)
    return sorted({k.name for k in registry.all()} - before), None


def _reason(exc: BaseException) -> str:
    if isinstance(exc, SyntaxError):
        return exc.msg or 'invalid syntax'
    if isinstance(exc, SystemExit):
        return f'the plugin called sys.exit({"" if exc.code is None else repr(exc.code)}) while being imported'
    return str(exc) or type(exc).__name__


def _line_of(exc: BaseException, path: Path) -> int | None:
    """The line of the plugin file where it failed (the innermost frame in that file)."""
    if isinstance(exc, SyntaxError) and exc.filename and Path(exc.filename) == path:
        return exc.lineno
    frames = traceback.extract_tb(exc.__traceback__)
    return next((f.lineno for f in reversed(frames) if Path(f.filename) == path), None)
