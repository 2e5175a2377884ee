"""Settings: defaults, `PROGRESS_APP_*` environment variables, command-line flags, validation.

Precedence: flag > environment variable > default. A bad value is reported in one line and the app exits with 2.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import ipaddress
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError

from progress_app.errors import ConfigError

ENV_PREFIX = 'PROGRESS_APP_'
SECRET = ('password', 'database_url')  # never echoed in an error: a database URL may carry a password
LOOPBACK_NAMES = {'localhost', 'localhost.localdomain', 'ip6-localhost'}


@dataclass(frozen=True, slots=True)
class JobPaths:
    """The one place that knows where a job's files are: `logs/<id>.log` and `outputs/<id>/` in the data folder.
    The runtime's JobFiles, the runner and tests (of a running app too: `JobPaths.under(data_dir)`) ask it."""

    logs_dir: Path
    outputs_dir: Path

    @classmethod
    def under(cls, data_dir: Path) -> JobPaths:
        return cls(data_dir / 'logs', data_dir / 'outputs')

    def log_file(self, job_id: int) -> Path:
        """The job's log (it may not exist: a job that wrote nothing has none)."""
        return self.logs_dir / f'{job_id}.log'

    def output_dir(self, job_id: int) -> Path:
        """The folder the job writes its outputs in (`ctx.output_dir`); created by the job when it writes one."""
        return self.outputs_dir / str(job_id)

    def scratch_dir(self, job_id: int) -> Path:
        """The job's temporary files (`ctx.scratch_dir`): beside its outputs but not among them (not part of the
        download), kept across restarts and retries, deleted with the job."""
        return self.scratch_beside(self.output_dir(job_id))

    @staticmethod
    def scratch_beside(output_dir: Path) -> Path:
        """The scratch folder of the job whose output folder is `output_dir`."""
        return output_dir.parent / '.scratch' / output_dir.name


class Settings(BaseModel):
    model_config = ConfigDict(extra='forbid', frozen=True)

    host: str = '127.0.0.1'
    """Interface to listen on. Anything but loopback requires a password."""
    port: Annotated[int, Field(ge=1, le=65535)] = 8080
    data_dir: Path = Path('data')
    """Holds progress.db, logs/, outputs/ and plugins/."""
    native: bool = False
    no_browser: bool = False
    workers: Annotated[int, Field(ge=1, le=256)] = 4
    """How many jobs run at once (changeable later in the settings page)."""
    database_url: str | None = None
    """Any SQLAlchemy URL; default: SQLite at <data_dir>/progress.db."""
    password: Annotated[str | None, Field(repr=False)] = None
    """Prefer PROGRESS_APP_PASSWORD or --password-file: a --password flag shows in `ps`."""
    password_file: Path | None = None
    """A file whose first line is the password."""
    allowed_hosts: tuple[str, ...] = ()
    """Host names the app may be reached under besides IP addresses and loopback names (`.example.org` takes
    its subdomains too, `*` any name); guards against DNS rebinding."""
    forwarded_allow_ips: str | None = None
    """Proxies whose X-Forwarded-For is believed (comma-separated addresses, or '*'); default: none."""
    retention_days: Annotated[float, Field(gt=0, le=36500)] = 30
    log_max_bytes: Annotated[int, Field(ge=1024)] = 50 * 1024 * 1024
    allowed_dirs: tuple[Path, ...] | None = None
    """Folders jobs may read and write (the paths in their params); default: any folder on loopback, the data
    dir and the home folder otherwise. Also changeable in the settings page."""
    executor: str = 'threads'
    """Where job functions run: 'threads' (in the app's process), 'processes' (a Dask LocalCluster of worker
    processes the app starts and stops) or 'tcp://HOST:PORT' (the workers of an existing Dask scheduler)."""
    executor_workers: Annotated[int | None, Field(ge=1, le=1024)] = None
    """Worker processes of `--executor processes`; default: one per core."""
    stall_min_seconds: Annotated[float, Field(gt=0)] = 60.0
    """No job is flagged stalled before its progress has stood still this long (domain/stall.py)."""

    @field_validator('host')
    @classmethod
    def _host_not_empty(cls, value: str) -> str:
        if not value.strip():
            raise ValueError('must not be empty')
        return value.strip()

    @field_validator('allowed_hosts', mode='before')
    @classmethod
    def _split_hosts(cls, value: Any) -> Any:
        if isinstance(value, str):
            value = [name.strip() for name in value.split(',')]
        if isinstance(value, list | tuple) and any(not str(name).strip() or '/' in str(name) for name in value):
            raise ValueError("a comma-separated list of host names such as 'nas.local,.example.org'")
        return value

    @model_validator(mode='before')
    @classmethod
    def _read_password_file(cls, values: Any) -> Any:
        if isinstance(values, dict) and values.get('password_file'):
            with contextlib.suppress(ValueError):  # said by the field's own check, below, at --password-file
                values = {**values, 'password': first_line(Path(values['password_file']))}
        return values

    @field_validator('password_file')
    @classmethod
    def _password_file_readable(cls, value: Path | None) -> Path | None:
        if value is not None:
            first_line(value)
        return value

    @field_validator('database_url')
    @classmethod
    def _url_has_scheme(cls, value: str | None) -> str | None:
        if value is not None and '://' not in value:
            raise ValueError("must be an SQLAlchemy URL such as 'sqlite:////path/progress.db'")
        if value is not None:
            _driver_installed(value)
        return value

    @field_validator('executor')
    @classmethod
    def _known_executor(cls, value: str) -> str:
        return executor_spec(value)

    @field_validator('allowed_dirs', mode='before')
    @classmethod
    def _split_dirs(cls, value: Any) -> Any:
        if isinstance(value, str):  # from a flag or the environment: 'a:b' (os.pathsep) or 'a,b'
            value = [part for part in value.replace(os.pathsep, ',').split(',') if part.strip()]
        return value

    @field_validator('allowed_dirs')
    @classmethod
    def _dirs_exist(cls, value: tuple[Path, ...] | None) -> tuple[Path, ...] | None:
        if value is not None and not value:
            raise ValueError('must name at least one folder')
        return None if value is None else tuple(existing_folder(folder) for folder in value)

    @model_validator(mode='after')
    def _exposed_needs_password(self) -> Settings:
        if not is_loopback(self.host) and not self.password:
            raise ValueError(f'listening on {self.host} exposes the app beyond this machine; '
                             'set --password (or PROGRESS_APP_PASSWORD) to do that')
        return self

    @property
    def db_url(self) -> str:
        return self.database_url or f'sqlite:///{(self.data_dir / "progress.db").resolve()}'

    @property
    def db_url_shown(self) -> str:
        """The database URL as a user may see and copy it: with the password masked."""
        return make_url(self.db_url).render_as_string(hide_password=True)

    @property
    def job_paths(self) -> JobPaths:
        """Where each job's log file and output folder are."""
        return JobPaths.under(self.data_dir)

    @property
    def logs_dir(self) -> Path:
        return self.job_paths.logs_dir

    @property
    def outputs_dir(self) -> Path:
        return self.job_paths.outputs_dir

    @property
    def plugins_dir(self) -> Path:
        return self.data_dir / 'plugins'


def first_line(path: Path) -> str:
    try:
        lines = path.read_text().splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise ValueError(f'cannot read {path}: {getattr(exc, "strerror", None) or exc}') from None
    if not lines or not lines[0].strip():
        raise ValueError(f'{path} is empty: its first line should be the password')
    return lines[0].strip()


def existing_folder(folder: str | Path) -> Path:
    """`folder` with `~` expanded; ValueError unless it is absolute and an existing folder (a relative one would
    depend on where the app was started, a missing one is most likely a typo that would refuse every job)."""
    path = Path(str(folder).strip()).expanduser()
    if not path.is_absolute():
        raise ValueError(f"'{folder}' is not an absolute path: name the folder from / (or ~)")
    if not path.is_dir():
        raise ValueError(f"'{folder}' " + ('is not a folder' if path.exists() else 'does not exist'))
    return path


def executor_spec(value: str) -> str:
    """'threads', 'processes' or 'tcp://HOST:PORT' (normalised); ValueError, in words, for anything else or when
    Dask, which the last two need, is not installed."""
    spec = value.strip()
    if spec.lower() in ('threads', 'processes'):
        spec = spec.lower()
    elif spec.lower().startswith('tcp://'):
        spec = 'tcp://' + spec[len('tcp://'):]
        host, _, port = spec[len('tcp://'):].rpartition(':')
        if not host or not port.isdigit() or not 1 <= int(port) <= 65535:
            raise ValueError("a Dask scheduler's address needs a host and a port, such as 'tcp://10.0.0.5:8786'")
    else:
        raise ValueError("must be 'threads', 'processes' or a Dask scheduler's address 'tcp://HOST:PORT'")
    if spec != 'threads' and importlib.util.find_spec('distributed') is None:
        raise ValueError("needs Dask, which is not installed (pip install 'progress-app[dask]')")
    return spec


def is_loopback(host: str) -> bool:
    if host.lower() in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.strip('[]')).is_loopback
    except ValueError:
        return False


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog='app.py', description='Progress App: run long jobs and watch them live.')
    add = parser.add_argument
    add('--host', help='interface to listen on (default 127.0.0.1)')
    add('--port', help='port (default 8080)')
    add('--data-dir', help='database, logs, outputs and plugins (default ./data)')
    add('--native', action='store_const', const='true', help='open a native desktop window')
    add('--no-browser', action='store_const', const='true', help='do not open a browser')
    add('--workers', help='jobs that run at once (default 4)')
    add('--database-url', help='SQLAlchemy URL (default: SQLite in the data dir)')
    add('--password', help='required when --host is not loopback (shows in ps: prefer PROGRESS_APP_PASSWORD)')
    add('--password-file', help='read the password from the first line of this file')
    add('--allowed-hosts', help='comma-separated host names the app is reached under, besides IPs and localhost')
    add('--forwarded-allow-ips', help="proxies whose X-Forwarded-For is trusted (comma-separated, or '*')")
    add('--executor', help="where job functions run: threads (default), processes (a Dask cluster on this "
                           "machine) or tcp://HOST:PORT (an existing Dask scheduler)")
    add('--executor-workers', help='worker processes of --executor processes (default: one per core)')
    add('--retention-days', help='purge finished jobs older than this (default 30)')
    add('--stall-min-seconds', help='flag no job stalled before its progress stood still this long (default 60)')
    add('--allowed-dirs', help=f'folders jobs may read and write, separated by {os.pathsep!r} or \',\' (default: '
                               'any on loopback, else the data dir and your home)')
    return parser


def parse_settings(argv: list[str] | None = None, env: dict[str, str] | None = None) -> Settings:
    """Settings from flags and `PROGRESS_APP_*` variables; raises ConfigError with one clear line."""
    env = os.environ if env is None else env
    fields = Settings.model_fields
    values: dict[str, Any] = {name: env[ENV_PREFIX + name.upper()] for name in fields
                              if ENV_PREFIX + name.upper() in env}
    args = _parser().parse_args(argv)
    values.update({k: v for k, v in vars(args).items() if v is not None})
    try:
        return Settings(**values)
    except ValidationError as exc:
        error = exc.errors()[0]
        name = str(error['loc'][0]) if error['loc'] else 'host'  # the one cross-field rule is about --host
        where = f"--{name.replace('_', '-')}" if name else 'settings'
        if name and ENV_PREFIX + name.upper() in env and getattr(args, name, None) is None:
            where = ENV_PREFIX + name.upper()
        message = error['msg'].removeprefix('Value error, ')
        given = f' (got {values[name]!r})' if name in values and name not in SECRET else ''
        raise ConfigError(f'{where}: {message}{given}') from None


def _driver_installed(url: str) -> None:
    """Raises ValueError, in words, when the Python package that talks to this database is missing."""
    try:
        make_url(url).get_dialect().import_dbapi()
    except ModuleNotFoundError as exc:
        extra = " (pip install 'progress-app[postgres]')" if exc.name == 'psycopg' else ''
        raise ValueError(f'needs the Python package {exc.name}, which is not installed{extra}') from None
    except (ArgumentError, NoSuchModuleError) as exc:
        raise ValueError(f'is not a database SQLAlchemy knows ({exc})') from None


def settings_or_exit(argv: list[str] | None = None) -> Settings:
    try:
        return parse_settings(argv)
    except ConfigError as exc:
        print(f'app.py: error: {exc}', file=sys.stderr)
        raise SystemExit(2) from None
