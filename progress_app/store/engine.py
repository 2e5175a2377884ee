"""The SQLAlchemy engine: SQLite in WAL mode by default, any SQLAlchemy URL otherwise, and the schema version."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.exc import DatabaseError, OperationalError

from progress_app.errors import DamagedDatabase, DatabaseUnreachable
from progress_app.store import migrate


class UnreadableJSON:
    """What a JSON column holds when its stored text is not JSON (a damaged database, a hand edit): read as this
    instead of failing the whole query, so that one bad row makes one job unreadable, not every listing."""

    __slots__ = ('error', 'text')

    def __init__(self, text: str, error: str) -> None:
        self.text, self.error = text, error

    def __repr__(self) -> str:
        return f'<not JSON: {self.error}>'


def read_json(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError as exc:
        return UnreadableJSON(text, str(exc))


def write_json(value: Any) -> str:
    """The text of a JSON column. NaN and ±Infinity, which Python writes but JSON has not (PostgreSQL refuses the
    whole statement), are written as null, as JavaScript's JSON.stringify does."""
    try:
        return json.dumps(value, allow_nan=False)
    except ValueError as exc:
        if 'Circular' in str(exc):
            raise
        return json.dumps(_finite(value), allow_nan=False)


def _finite(value: Any) -> Any:
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {key: _finite(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(item) for item in value]
    return value


def create_db_engine(url: str) -> Engine:
    if url.startswith('sqlite'):
        # Worker threads, the writer thread and the event loop share a small pool of connections.
        engine = create_engine(url, connect_args={'check_same_thread': False, 'timeout': 30},
                               pool_size=8, max_overflow=32, json_serializer=write_json,
                               json_deserializer=read_json)
        event.listen(engine, 'connect', _sqlite_pragmas)
        return engine
    return create_engine(url, pool_pre_ping=True, json_serializer=write_json, json_deserializer=read_json)


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute('PRAGMA journal_mode=WAL')
    cursor.execute('PRAGMA synchronous=NORMAL')
    cursor.execute('PRAGMA busy_timeout=5000')
    cursor.execute('PRAGMA foreign_keys=ON')
    cursor.close()


def check_reachable(engine: Engine) -> None:
    """Raises DatabaseUnreachable, in one line, when the database cannot be connected to: its server is down or
    elsewhere, refuses the user or password, or has no such database."""
    if engine.url.get_backend_name() == 'sqlite':
        return  # a file, which check_integrity() examines
    try:
        with engine.connect():
            pass
    except OperationalError as exc:
        where = engine.url.render_as_string(hide_password=True)
        raise DatabaseUnreachable(f"cannot connect to the database {where}: {' '.join(str(exc.orig or exc).split())}"
                                  ) from None


def check_integrity(engine: Engine) -> None:
    """Refuse a damaged SQLite file (or one that is not a database) before anything is written to it.

    `PRAGMA quick_check` reads every page once (~0.1 s per 100 MB) but skips the index-content comparison of
    `integrity_check`, which costs several times more.
    """
    if engine.url.get_backend_name() != 'sqlite':
        return
    try:
        with engine.connect() as connection:
            problems = [row[0] for row in connection.execute(text('PRAGMA quick_check(5)'))]
    except DatabaseError as exc:
        problems = [str(exc.orig or exc)]
    if problems != ['ok']:
        raise DamagedDatabase(damaged_message(engine.url.database or '', ' '.join('; '.join(problems).split())))


def damaged_message(path: str, problem: str) -> str:
    backups = sorted(str(p) for p in Path(path).parent.glob(Path(path).name + '.bak*')) if path else []
    restore = f'restore a backup ({backups[-1]})' if backups else 'restore it from a backup'
    return (f'the database {path} is damaged or not a Progress App database ({problem}). Stop the app and '
            f'{restore}, or move the file aside (mv {path} {path}.damaged) to start with an empty one.')


def init_schema(engine: Engine) -> str | None:
    """Check the file and bring its schema to this app's revision (`migrate.py`); returns the path of the backup
    made before an upgrade, if one was."""
    check_integrity(engine)
    backup = migrate.upgrade(engine)
    if engine.url.get_backend_name() == 'sqlite' and Path(engine.url.database or ':memory:').is_file():
        # It holds commands' environments: the owner's only. SQLite gives its -wal and -shm files the same mode.
        Path(engine.url.database or '').chmod(0o600)
    return backup
