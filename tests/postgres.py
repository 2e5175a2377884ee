"""A real PostgreSQL server for the tests: Debian's binaries, a cluster in a temporary folder, one per session.

`initdb` and `postgres` refuse to run as root, so under root they run as the `postgres` user (the Debian package
makes it), in a folder that user owns. The server listens on 127.0.0.1 on a free port (and on a socket in that
folder only), trusts local connections and skips fsync: the tests kill the app, never the machine. Each test
gets a database of its own (`create_database()`), dropped afterwards.

The server is a child of the test process, not a daemon (`pg_ctl start`): `setpriv --pdeathsig` has the kernel
stop it (fast shutdown) when that process ends however it ends — a `timeout` or a SIGKILL of pytest too.
"""

from __future__ import annotations

import glob
import itertools
import os
import pwd
import shutil
import signal
import subprocess
import tempfile
from pathlib import Path

from tests.helpers import free_port, wait_until

USER = 'progress'  # the role the app connects as: an owner of its database, not a superuser
PASSWORD = 'secret'  # never checked (trust), but the URL carries one, as a user's would


def binaries() -> Path | None:
    """The newest `/usr/lib/postgresql/<version>/bin` with initdb, pg_ctl and postgres; None when not installed."""
    found = [Path(p) for p in glob.glob('/usr/lib/postgresql/*/bin')
             if all(Path(p, tool).exists() for tool in ('initdb', 'pg_ctl', 'postgres'))]
    return max(found, key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0, default=None)


REQUIRED = 'PROGRESS_APP_TESTS_NEED_POSTGRES'
"""Set (by .ci/run) where PostgreSQL is installed for the tests: not finding it there fails them, never skips."""


def missing_reason() -> str | None:
    """Why PostgreSQL tests cannot run here (None: they can)."""
    if binaries() is None:
        return 'PostgreSQL is not installed (apt-get install postgresql; .ci/run does)'
    if os.geteuid() == 0:
        try:
            pwd.getpwnam('postgres')
        except KeyError:
            return 'running as root and there is no postgres user to run initdb as'
    return None


class PostgresServer:
    def __init__(self) -> None:
        bin_dir = binaries()
        assert bin_dir is not None, missing_reason()
        self.bin = bin_dir
        # Under root in /tmp: the postgres user must reach the folder, which a private TMPDIR would not let it.
        self.folder = Path(tempfile.mkdtemp(prefix='progress-pg-', dir='/tmp' if os.geteuid() == 0 else None))
        self.data = self.folder / 'cluster'
        self.port = free_port()
        self._names = itertools.count(1)
        self._as_postgres: list[str] = []
        self._server: subprocess.Popen[bytes] | None = None
        if os.geteuid() == 0:
            account = pwd.getpwnam('postgres')
            os.chown(self.folder, account.pw_uid, account.pw_gid)
            self._as_postgres = ['setpriv', '--reuid=postgres', '--regid=postgres', '--init-groups']

    def start(self) -> PostgresServer:
        subprocess.run([*self._as_postgres, str(self.bin / 'initdb'), '-D', str(self.data), '-U', 'postgres',
                        '--auth=trust', '-E', 'UTF8', '--no-sync', '--locale=C'],
                       check=True, capture_output=True, cwd=self.folder, timeout=120)
        with (self.folder / 'server.log').open('ab') as log:
            self._server = subprocess.Popen(
                [*(self._as_postgres or ['setpriv']), '--pdeathsig=INT', '--', str(self.bin / 'postgres'),
                 '-D', str(self.data), '-p', str(self.port), '-k', str(self.folder),
                 '-c', 'listen_addresses=127.0.0.1', '-c', 'fsync=off', '-c', 'synchronous_commit=off',
                 '-c', 'full_page_writes=off', '-c', 'max_connections=300'],
                cwd=self.folder, stdout=log, stderr=subprocess.STDOUT)
        wait_until(self._ready, timeout=60, interval=0.05, message=lambda: f'PostgreSQL to start:\n{self.log()}')
        self.admin(f"CREATE ROLE {USER} LOGIN PASSWORD '{PASSWORD}'")
        return self

    def _ready(self) -> bool:
        import psycopg

        assert self._server is not None
        if self._server.poll() is not None:
            raise RuntimeError(f'PostgreSQL exited with {self._server.returncode}:\n{self.log()}')
        try:
            psycopg.connect(host='127.0.0.1', port=self.port, user='postgres', dbname='postgres').close()
        except psycopg.OperationalError:
            return False
        return True

    def log(self) -> str:
        path = self.folder / 'server.log'
        return path.read_text(errors='replace') if path.exists() else ''

    def admin(self, sql: str) -> None:
        import psycopg

        with psycopg.connect(host='127.0.0.1', port=self.port, user='postgres', dbname='postgres',
                             autocommit=True) as connection:
            connection.execute(sql)  # type: ignore[arg-type]

    def url(self, database: str) -> str:
        return f'postgresql+psycopg://{USER}:{PASSWORD}@127.0.0.1:{self.port}/{database}'

    def create_database(self) -> str:
        """A new, empty database owned by the app's role; returns its SQLAlchemy URL."""
        name = f'test_{next(self._names)}'
        self.admin(f'CREATE DATABASE {name} OWNER {USER}')
        return self.url(name)

    def drop_database(self, url: str) -> None:
        """Drop it, closing what a test left connected (an engine never disposed, a killed app's backend)."""
        self.admin(f'DROP DATABASE IF EXISTS {url.rsplit("/", 1)[1]} WITH (FORCE)')

    def stop(self) -> None:
        if self._server is not None and self._server.poll() is None:
            self._server.send_signal(signal.SIGINT)  # fast shutdown: ends the sessions a test left open
            self._server.wait(60)
        shutil.rmtree(self.folder, ignore_errors=True)
