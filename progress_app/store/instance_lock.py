"""One app per database. A second app on the same database would recover the first one's running jobs as
interrupted and run them again beside it, and kill their child processes as leftovers: it is refused at start.

PostgreSQL: a session-level advisory lock (`pg_try_advisory_lock`), taken on a connection of its own that the
app holds for its whole life. The server releases it when that connection ends, so an app that was killed
(SIGKILL, a power cut of its machine once the server notices) leaves no stale lock behind. Advisory locks belong
to one database: apps on other databases of the same server do not see each other's.

Other databases (SQLite in the data dir) are not locked here.
"""

from __future__ import annotations

import hashlib

from sqlalchemy import Connection, Engine, text

from progress_app.errors import DatabaseInUse

# Any 64-bit number that other software on the same database is unlikely to take for its own advisory locks.
KEY = int.from_bytes(hashlib.sha256(b'progress-app: one app per database').digest()[:8], 'big', signed=True)


class InstanceLock:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._connection: Connection | None = None

    @property
    def held(self) -> bool:
        return self._connection is not None

    def acquire(self) -> None:
        """Take the lock (a no-op if this object holds it already); raises DatabaseInUse if another app does."""
        if self._connection is not None or self.engine.dialect.name != 'postgresql':
            return
        connection = self.engine.connect().execution_options(isolation_level='AUTOCOMMIT')
        connection.detach()  # its own session for the app's life: never back into the pool, closed for real
        try:
            taken = connection.execute(text('SELECT pg_try_advisory_lock(:key)'), {'key': KEY}).scalar()
        except BaseException:
            connection.close()
            raise
        if not taken:
            connection.close()
            where = self.engine.url.render_as_string(hide_password=True)
            raise DatabaseInUse(f'another Progress App is running on the database {where} (one app per '
                                'database); stop it first, or give this one another --database-url')
        self._connection = connection

    def release(self) -> None:
        """Let the next app have the database (closing the session releases the lock)."""
        connection, self._connection = self._connection, None
        if connection is not None:
            connection.close()
