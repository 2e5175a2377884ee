"""Exceptions raised by Progress App.

    ProgressAppError                  every error this package raises on purpose
    ├── ConfigError                   a bad flag, environment variable or setting
    ├── SchemaVersionError            the database was written by an unknown version
    ├── DamagedDatabase               the database file is damaged or is not a database of this app
    ├── DatabaseInUse                 another app runs on the same database (one app per database)
    ├── DatabaseUnreachable           the database server cannot be reached or refuses the app
    ├── NotFound                      an unknown job or kind
    │   ├── JobNotFound
    │   └── KindNotFound
    ├── InvalidParams                 a submission that fails the kind's params model
    ├── IllegalTransition             e.g. pausing a completed job
    ├── UnreadableJob                 a stored job whose row is damaged (it can only be removed)
    ├── KindRegistrationError         a bad @job_kind declaration (duplicate name, bad signature)
    └── JobFailed                     a job's expected failure (a program's non-zero exit): said in one line,
        │                             without a Python traceback (those are for bugs)
        └── TimedOut                  a try ran longer than the job's timeout_seconds and was stopped

    BaseException
    └── JobStopped                    raised inside a job by ctx.check(); not an Exception on purpose,
        ├── JobCancelled              so that a job's own `except Exception:` cannot swallow a cancel
        └── JobInterrupted            the app is shutting down; the job resumes on the next start

    ValueError
    └── ParamsRule                    a rule over several params, raised in a params model's model_validator;
                                      InvalidParams puts it at each field it names
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pydantic import ValidationError
    from pydantic_core import ErrorDetails

Loc = str | int | Sequence[str | int]


class ProgressAppError(Exception):
    """Base class of the errors this package raises on purpose."""


class ConfigError(ProgressAppError):
    pass


class SchemaVersionError(ProgressAppError):
    pass


class DamagedDatabase(ProgressAppError):
    pass


class DatabaseInUse(ProgressAppError):
    pass


class DatabaseUnreachable(ProgressAppError):
    pass


class NotFound(ProgressAppError):
    pass


class JobNotFound(NotFound):
    def __init__(self, job_id: int) -> None:
        super().__init__(f'job {job_id} does not exist')
        self.job_id = job_id


class KindNotFound(NotFound):
    def __init__(self, kind: str, known: list[str]) -> None:
        super().__init__(f"unknown job kind '{kind}'; known kinds: {', '.join(sorted(known)) or 'none'}")
        self.kind = kind


class InvalidParams(ProgressAppError):
    """The params of a submission do not fit the kind's model; `errors` has one entry per problem."""

    def __init__(self, errors: list[dict[str, Any]]) -> None:
        self.errors = errors
        super().__init__('; '.join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in errors))

    @staticmethod
    def problem(loc: Loc, message: str, type: str = 'value_error') -> dict[str, Any]:
        """One entry of `errors`: `loc` is a field name or a path such as `['params', 'source']`."""
        path = [loc] if isinstance(loc, str | int) else list(loc)
        return {'loc': path, 'msg': message, 'type': type}

    @classmethod
    def field(cls, loc: Loc, message: str, type: str = 'value_error') -> InvalidParams:
        """The error of one field: `raise InvalidParams.field('name', 'must not be empty')`."""
        return cls([cls.problem(loc, message, type)])

    @classmethod
    def from_validation(cls, exc: ValidationError, prefix: Sequence[str | int] = (),
                        message: Callable[[ErrorDetails], str] | None = None) -> InvalidParams:
        """Pydantic's errors, each at `prefix` + its own path, with pydantic's 'Value error, ' taken off the
        message (or the message `message(error)` gives)."""
        problems = []
        for e in exc.errors():
            text = message(e) if message else e['msg'].removeprefix('Value error, ')
            rule = (e.get('ctx') or {}).get('error')
            fields = rule.fields if isinstance(rule, ParamsRule) and rule.fields else [None]
            problems += [cls.problem([*prefix, *e['loc'], *([f] if f else [])], text, e['type']) for f in fields]
        return cls(problems)


class ParamsRule(ValueError):
    """A rule over several params, broken: `raise ParamsRule('Resizing needs a width, a height or both', 'width',
    'height')` in a params model's `model_validator`. Pydantic would put it at the model as a whole (the form could
    only show it apart, below the fields); InvalidParams puts it at each of `fields`, where the user can fix it."""

    def __init__(self, message: str, *fields: str) -> None:
        super().__init__(message)
        self.fields = fields


class IllegalTransition(ProgressAppError):
    pass


class NoResultYet(IllegalTransition):
    """The job is there but has not completed, so it has nothing to download yet (HTTP 409, like an action its
    status does not allow; 404 stays for a job that is not there or made no files)."""


class UnreadableJob(ProgressAppError):
    def __init__(self, job_id: int, reason: str) -> None:
        super().__init__(f'{reason}; the job cannot be shown or run, only removed (DELETE /api/jobs/{job_id})')
        self.job_id = job_id


class KindRegistrationError(ProgressAppError):
    pass


class JobFailed(ProgressAppError):
    """Raised by a job for a failure it expects: the message says why in words ('exit code 3'); `details` (e.g.
    the program's last output lines) is kept with the job where a bug's traceback would be. The runner logs it as
    one line, with no Python traceback."""

    def __init__(self, message: str, details: str = '') -> None:
        super().__init__(message)
        self.details = details


class TimedOut(JobFailed):
    """A try of a job ran longer than its time limit and was stopped: its error is the message alone, 'timed out
    after 2 s'."""


class JobStopped(BaseException):
    """Raised by `ctx.check()` to stop a job's function. Do not catch it in job code."""


class JobCancelled(JobStopped):
    pass


class JobInterrupted(JobStopped):
    pass
