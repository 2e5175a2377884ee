"""The database's schema over releases: Alembic revisions in `migrations/versions/`, applied at start.

- A new database is built by running every revision.
- A database of the first release (tables, no `alembic_version`) is stamped with revision 0001 as it is.
- A database at an older revision is first copied beside itself (SQLite: `progress.db.bak-<revision>`, made with
  SQLite's online backup, so a WAL in use is included), then upgraded in place.
- A database written by a newer app (a revision this one does not know) is refused and left untouched.

Adding a column: change `tables.py`, then `python -m progress_app.store.migrate revision "add job.foo"` writes a
revision with what changed (review it), and the next start upgrades every user's database.
"""

from __future__ import annotations

import logging
import sqlite3
import sys
import tempfile
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, create_engine, inspect, text

from progress_app.errors import SchemaVersionError

log = logging.getLogger(__name__)

MIGRATIONS = Path(__file__).with_name('migrations')
FIRST_RELEASE = '0001'


def _config(connection: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option('script_location', str(MIGRATIONS))
    config.attributes['connection'] = connection
    return config


def head() -> str:
    revision = ScriptDirectory.from_config(_config()).get_current_head()
    assert revision is not None
    return revision


def current(connection: Connection) -> str | None:
    """The database's revision: None for an empty database, FIRST_RELEASE for one from before Alembic."""
    revision = MigrationContext.configure(connection).get_current_revision()
    if revision is None and inspect(connection).has_table('job'):
        meta = connection.execute(text("SELECT value FROM meta WHERE key = 'schema_version'")).scalar()
        if meta not in (None, '1'):
            raise SchemaVersionError(f'the database has schema version {meta}, which no release of Progress App '
                                     'wrote; use another --data-dir')
        return FIRST_RELEASE
    return revision


def upgrade(engine: Engine) -> str | None:
    """Bring the database to this app's revision; returns the backup's path when one was made."""
    script = ScriptDirectory.from_config(_config())
    with engine.connect() as connection:
        found = current(connection)
    target = head()
    if found == target:
        return None
    where = engine.url.render_as_string(hide_password=True)
    if found is not None and found not in {rev.revision for rev in script.walk_revisions()}:
        raise SchemaVersionError(
            f'the database {where} was written by a newer Progress App (schema revision {found}); this one knows '
            f'revisions up to {target}. Use the newer app, or another --data-dir; nothing was changed.')
    backup = _backup(engine, found) if found is not None else None
    with engine.begin() as connection:
        config = _config(connection)
        if found == FIRST_RELEASE and MigrationContext.configure(connection).get_current_revision() is None:
            command.stamp(config, FIRST_RELEASE)
        command.upgrade(config, 'head')
    if found is not None:
        log.warning('upgraded the database %s from schema revision %s to %s%s', where, found, target,
                    f'; the old one is kept as {backup}' if backup else '')
    return backup


def _backup(engine: Engine, revision: str) -> str | None:
    if engine.url.get_backend_name() != 'sqlite' or not engine.url.database:
        return None  # PostgreSQL: the server's own backups (pg_dump) are the way
    source = Path(engine.url.database)
    target = source.with_name(f'{source.name}.bak-{revision}')
    with sqlite3.connect(source) as original, sqlite3.connect(target) as copy:
        original.backup(copy)
    target.chmod(0o600)
    return str(target)


def revision(message: str) -> None:
    """Write a new revision with what `tables.py` changed since the last one (autogenerate against a scratch
    database at the current head)."""
    with tempfile.TemporaryDirectory() as folder:
        engine = create_engine(f'sqlite:///{folder}/scratch.db')
        with engine.begin() as connection:
            command.upgrade(_config(connection), 'head')
            number = f'{int(head()) + 1:04d}'
            command.revision(_config(connection), message=message, autogenerate=True, rev_id=number)
        engine.dispose()


if __name__ == '__main__':
    if len(sys.argv) != 3 or sys.argv[1] != 'revision':
        sys.exit('usage: python -m progress_app.store.migrate revision "what changed"')
    revision(sys.argv[2])
