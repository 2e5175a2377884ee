"""One app per database. A second app on the same database would recover the first one's running jobs as
interrupted and run them again beside it, and kill their child processes as leftovers: it is refused at start.

- PostgreSQL: a session-level advisory lock (`pg_try_advisory_lock`), taken on a connection of its own that the
  app holds for its whole life. Advisory locks belong to one database: apps on other databases of the same server
  do not see each other's.
- SQLite: an exclusive `flock` on the folder of the database file (the data dir). Not on the file itself: SQLite
  locks it with POSIX locks, which a process loses on that file when it closes *any* descriptor of it.

Either is released by the system when the app ends, however it ends (SIGKILL included: the server ends the
killed app's session, the kernel drops its descriptors), so there is never a stale lock to clear by hand.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
from pathlib import Path

from sqlalchemy import Connection, Engine, text

from progress_app.errors import DatabaseInUse

# Any 64-bit number that other software on the same database is unlikely to take for its own advisory locks.
KEY = int.from_bytes(hashlib.sha256(b'progress-app: one app per database').digest()[:8], 'big', signed=True)


class InstanceLock:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._connection: Connection | None = None  # PostgreSQL: the session that holds the advisory lock
        self._folder: int | None = None  # SQLite: the descriptor of the locked folder

    @property
    def held(self) -> bool:
        return self._connection is not None or self._folder is not None

    def acquire(self) -> None:
        """Take the lock (a no-op if this object holds it already); raises DatabaseInUse if another app does."""
        if self.held:
            return
        url = self.engine.url
        if url.get_backend_name() == 'postgresql':
            self._connection = self._lock_session()
        elif url.get_backend_name() == 'sqlite' and url.database not in (None, '', ':memory:'):
            self._folder = self._lock_folder(Path(url.database).resolve().parent)  # type: ignore[arg-type]

    def release(self) -> None:
        """Let the next app have the database."""
        connection, self._connection = self._connection, None
        if connection is not None:
            # Unlocked now, not when the server's backend has exited after the close (asynchronous: an app started
            # right after this one's stop was refused now and then on a busy machine).
            with contextlib.suppress(Exception):  # the session may be gone already; its lock went with it
                connection.execute(text('SELECT pg_advisory_unlock(:key)'), {'key': KEY})
            connection.close()  # the session ends, and its advisory locks with it
        folder, self._folder = self._folder, None
        if folder is not None:
            os.close(folder)

    def _refuse(self, instead: str) -> DatabaseInUse:
        where = self.engine.url.render_as_string(hide_password=True).removeprefix('sqlite:///')
        return DatabaseInUse(f'another Progress App is running on the database {where} (one app per database); '
                             f'stop it first, or give this one another {instead}')

    def _lock_session(self) -> Connection:
        connection = self.engine.connect().execution_options(isolation_level='AUTOCOMMIT')
        connection.detach()  # its own session for the app's life: never back into the pool, closed for real
        try:
            # The server probes this session's client: if the app's machine dies (no FIN is ever sent), the lock
            # is free within ~30 s, not after the system's two-hour keepalive default.
            connection.execute(text("SELECT set_config('tcp_keepalives_idle', '10', false), "
                                    "set_config('tcp_keepalives_interval', '5', false), "
                                    "set_config('tcp_keepalives_count', '4', false)"))
            taken = connection.execute(text('SELECT pg_try_advisory_lock(:key)'), {'key': KEY}).scalar()
        except BaseException:
            connection.close()
            raise
        if not taken:
            connection.close()
            raise self._refuse('--database-url')
        return connection

    def _lock_folder(self, folder: Path) -> int:
        # A raw descriptor (closed on exec, as Python opens them): a job's process never holds the lock.
        descriptor = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(descriptor)
            raise self._refuse('--data-dir') from None
        return descriptor
