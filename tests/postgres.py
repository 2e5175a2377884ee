"""A real PostgreSQL server for the tests: Debian's binaries, a cluster in a temporary folder, one per session.

`initdb` and `pg_ctl` refuse to run as root, so under root they run as the `postgres` user (the Debian package
makes it), in a folder that user owns. The server listens on 127.0.0.1 on a free port (and on a socket in that
folder only), trusts local connections and skips fsync: the tests kill the app, never the machine. Each test
gets a database of its own (`create_database()`), dropped afterwards.
"""

from __future__ import annotations

import glob
import itertools
import os
import pwd
import shutil
import subprocess
import tempfile
from pathlib import Path

from tests.helpers import free_port

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
        if os.geteuid() == 0:
            account = pwd.getpwnam('postgres')
            os.chown(self.folder, account.pw_uid, account.pw_gid)
            self._as_postgres = ['runuser', '-u', 'postgres', '--']

    def _run(self, tool: str, *args: str) -> None:
        subprocess.run([*self._as_postgres, str(self.bin / tool), *args], check=True, capture_output=True,
                       text=True, cwd=self.folder, timeout=120)

    def start(self) -> PostgresServer:
        self._run('initdb', '-D', str(self.data), '-U', 'postgres', '--auth=trust', '-E', 'UTF8',
                  '--no-sync', '--locale=C')
        options = (f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 -c fsync=off "
                   '-c synchronous_commit=off -c full_page_writes=off -c max_connections=300')
        try:
            self._run('pg_ctl', '-D', str(self.data), '-l', str(self.folder / 'server.log'), '-o', options,
                      '-w', '-t', '60', 'start')
        except subprocess.CalledProcessError as exc:
            raise RuntimeError(f'PostgreSQL did not start: {exc.stderr}\n{self.log()}') from None
        self.admin(f"CREATE ROLE {USER} LOGIN PASSWORD '{PASSWORD}'")
        return self

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
        try:
            self._run('pg_ctl', '-D', str(self.data), '-m', 'immediate', '-w', 'stop')
        finally:
            shutil.rmtree(self.folder, ignore_errors=True)
