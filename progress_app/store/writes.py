"""The statements of a write transaction: through SQLAlchemy Core for any database, or straight to sqlite3.

`CoreWrites` is the generic path (PostgreSQL and anything else SQLAlchemy speaks). `SqliteWrites` runs the
same statements — a job row, its updates, its events — on the sqlite3 connection underneath, with SQL that
SQLAlchemy compiled once per set of columns: executing a compiled Core statement costs ~40 µs of Python per call
(execution context, parameter processing, events), the sqlite3 call ~5 µs. Both write identical rows (JSON
columns as `write_json` text, as SQLAlchemy's JSON type does with it; column defaults from the table); the tests run
the repository on both.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence
from typing import Any, Protocol

from sqlalchemy import JSON, Connection, Dialect, bindparam, insert, or_, select, update
from sqlalchemy.sql import ClauseElement

from progress_app.domain.events import Event
from progress_app.store.engine import write_json
from progress_app.store.tables import EVENT, JOB

JSON_DEFAULTS = {'params': {}, 'options': {}, 'stages': [], 'stage_states': []}  # columns without a SQL default
INSERT_JOB = insert(JOB)
INSERT_EVENT = insert(EVENT)
# One statement for every job update: the SET clause is the parameters' keys (all but `job_id_`).
UPDATE_JOB = update(JOB).where(JOB.c.id == bindparam('job_id_'))
# Write-behind snapshots only touch jobs still running or paused: a snapshot taken just before a job ended must
# never overwrite the final row that its status change committed.
# Not status.in_(…): an IN list is an 'expanding' parameter, which SQLAlchemy refuses in executemany().
UPDATE_LIVE_JOB = UPDATE_JOB.where(or_(JOB.c.status == 'running', JOB.c.status == 'paused'))
EVENT_COLUMNS = ('id', 'job_id', 'seq', 'at', 'type', 'data')

Update = tuple[int, dict[str, Any]]
"""A job id and the columns to set."""


def without_nul(values: dict[str, Any]) -> dict[str, Any]:
    """The values with NUL characters in text as U+FFFD: PostgreSQL's text columns refuse them (a tool's binary
    output in a job's message failed the write of its row). JSON columns keep them, escaped. On every database,
    so that both paths write the same rows."""
    if not any(type(value) is str and '\x00' in value for value in values.values()):
        return values
    return {key: value.replace('\x00', '\ufffd') if type(value) is str else value for key, value in values.items()}


def event_rows(events: Iterable[Event]) -> list[dict[str, Any]]:
    return [{'id': e.id, 'job_id': e.job_id, 'seq': e.seq, 'at': e.at, 'type': e.type.value, 'data': e.data}
            for e in events]


class Writes(Protocol):
    """What a unit of group-committed work can write (repository.py). Events are inserted together, by `flush()`
    before the commit: one executemany for a whole batch."""

    def insert_job(self, values: dict[str, Any]) -> int: ...
    def insert_events(self, events: Sequence[Event]) -> None: ...
    def update_jobs(self, updates: Sequence[Update], live_only: bool = False) -> None: ...
    def existing(self, ids: Iterable[int]) -> set[int]: ...
    def flush(self) -> None: ...


class CoreWrites:
    """A write transaction through SQLAlchemy Core."""

    def __init__(self, connection: Connection) -> None:
        self.connection = connection
        self._events: list[Event] = []

    def insert_job(self, values: dict[str, Any]) -> int:
        """A new job row (`values` without the id); returns its id."""
        return self.connection.execute(INSERT_JOB, JSON_DEFAULTS | without_nul(values)).inserted_primary_key[0]

    def insert_events(self, events: Sequence[Event]) -> None:
        self._events.extend(events)

    def flush(self) -> None:
        if self._events:  # executemany of an INSERT: SQLAlchemy sends it as multi-row VALUES where it can
            self.connection.execute(INSERT_EVENT, event_rows(self._events))
            self._events = []

    def update_jobs(self, updates: Sequence[Update], live_only: bool = False) -> None:
        """Set columns of job rows; with `live_only`, rows of jobs that are not running or paused are left alone."""
        statement = UPDATE_LIVE_JOB if live_only else UPDATE_JOB
        batches: dict[tuple[str, ...], list[dict[str, Any]]] = {}  # executemany needs the same columns
        for job_id, values in updates:
            batches.setdefault(tuple(values), []).append({**without_nul(values), 'job_id_': job_id})
        for rows in batches.values():
            self.connection.execute(statement, rows)

    def existing(self, ids: Iterable[int]) -> set[int]:
        """Which of these jobs still exist."""
        return set(self.connection.execute(select(JOB.c.id).where(JOB.c.id.in_(list(ids)))).scalars())


class Prepared:
    """A Core statement compiled for one set of columns: its SQL and how to lay out its parameters."""

    __slots__ = ('encode', 'fixed', 'names', 'sql')

    def __init__(self, statement: ClauseElement, keys: tuple[str, ...], dialect: Dialect,
                 defaults: dict[str, Any]) -> None:
        compiled = statement.compile(dialect=dialect, column_keys=list(keys))
        if compiled.positiontup is None:
            raise TypeError(f'{dialect.name} does not take positional parameters')
        self.sql = str(compiled)
        self.names = tuple(compiled.positiontup)
        # Parameters the caller does not give: a column's default (INSERT), or a literal of the statement.
        self.fixed = {}
        for name in self.names:
            if name in keys:
                continue
            bind = compiled.binds[name]
            value = defaults[name] if name in defaults else None if bind.required else bind.value
            if value is None or callable(value) or bind.callable is not None:
                raise TypeError(f'no value for {name!r} of {self.sql} (only scalar column defaults are supported)')
            self.fixed[name] = value
        self.encode = frozenset(name for name in self.names if isinstance(compiled.binds[name].type, JSON))

    def parameters(self, values: dict[str, Any]) -> list[Any]:
        fixed, encode = self.fixed, self.encode
        out = []
        for name in self.names:
            value = values[name] if name in values else fixed[name]
            out.append(write_json(value) if name in encode else value)
        return out


class SqliteSql:
    """Statements compiled once per set of columns for one dialect."""

    def __init__(self, dialect: Dialect) -> None:
        self._dialect = dialect
        self._cache: dict[tuple[ClauseElement, tuple[str, ...]], Prepared] = {}
        self.job_defaults = {c.key: c.default.arg for c in JOB.columns if c.default is not None}
        self.insert_event = self.get(INSERT_EVENT, EVENT_COLUMNS)
        if self.insert_event.names != EVENT_COLUMNS or self.insert_event.encode != {'data'}:
            raise TypeError(f'the event table changed; adapt SqliteWrites.insert_events to {self.insert_event.sql}')

    def get(self, statement: ClauseElement, keys: tuple[str, ...], defaults: dict[str, Any] | None = None) -> Prepared:
        found = self._cache.get((statement, keys))
        if found is None:
            found = self._cache[statement, keys] = Prepared(statement, keys, self._dialect, defaults or {})
        return found


class SqliteWrites:
    """The writes as plain sqlite3 calls, in the transaction the caller holds on `raw` (see repository.py)."""

    ID_CHUNK = 500  # bound parameters per `existing` query: SQLite before 3.32 allows 999

    def __init__(self, raw: sqlite3.Connection, sql: SqliteSql) -> None:
        self._raw = raw
        self._sql = sql
        self._events: list[tuple[Any, ...]] = []

    def insert_job(self, values: dict[str, Any]) -> int:
        values = JSON_DEFAULTS | without_nul(values)
        prepared = self._sql.get(INSERT_JOB, tuple(values), self._sql.job_defaults)
        return self._raw.execute(prepared.sql, prepared.parameters(values)).lastrowid  # type: ignore[return-value]

    def insert_events(self, events: Sequence[Event]) -> None:
        self._events += [(e.id, e.job_id, e.seq, e.at, e.type.value, write_json(e.data)) for e in events]

    def flush(self) -> None:
        if self._events:
            self._raw.executemany(self._sql.insert_event.sql, self._events)
            self._events = []

    def update_jobs(self, updates: Sequence[Update], live_only: bool = False) -> None:
        statement = UPDATE_LIVE_JOB if live_only else UPDATE_JOB
        for job_id, values in updates:
            prepared = self._sql.get(statement, (*values, 'job_id_'))
            self._raw.execute(prepared.sql, prepared.parameters({**without_nul(values), 'job_id_': job_id}))

    def existing(self, ids: Iterable[int]) -> set[int]:
        ids, found = list(ids), set()
        for start in range(0, len(ids), self.ID_CHUNK):
            chunk = ids[start:start + self.ID_CHUNK]
            marks = ', '.join('?' * len(chunk))
            found.update(row[0] for row in self._raw.execute(f'SELECT id FROM job WHERE id IN ({marks})', chunk))
        return found
