"""`kinds/batch/` is a package whose modules import each other one way only, and none of the app's other layers."""

from __future__ import annotations

import ast
from pathlib import Path

import progress_app.kinds.batch as batch

FOLDER = Path(batch.__file__).parent
PACKAGE = 'progress_app.kinds.batch'
FORBIDDEN = ('nicegui', 'sqlalchemy', 'sqlmodel', 'progress_app.store', 'progress_app.runtime', 'progress_app.ui',
             'progress_app.api')


def imports(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return found


def test_the_batch_modules_import_each_other_without_a_circle():
    graph = {path.stem: {m.removeprefix(f'{PACKAGE}.') for m in imports(path) if m.startswith(f'{PACKAGE}.')}
             for path in FOLDER.glob('*.py') if path.stem != '__init__'}
    done: set[str] = set()
    while len(done) < len(graph):  # peel off the modules whose imports are all peeled off already
        ready = {name for name, needs in graph.items() if name not in done and needs <= done}
        assert ready, f'an import circle among {sorted(set(graph) - done)}'
        done |= ready


def test_the_batch_kind_imports_neither_the_ui_nor_the_store_nor_the_runtime():
    for path in FOLDER.glob('*.py'):
        bad = [m for m in imports(path) if m.startswith(FORBIDDEN)]
        assert not bad, f'{path.name} imports {bad}'
