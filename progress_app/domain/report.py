"""What a script outside the app says about its run (issue 14, the report protocol): the body that opens a run, one
update of a report, and what an update means — pure, with no job, store or clock in sight.

The words are the `command` kind's JSON lines (`progress`, `percent`, `current`/`total`/`unit`, `message`), plus
`stage`, `log`, `checkpoint`, `paused` and `done`; Cronicle's words (`complete`, `code`, `description`) are
understood too, so a script written for Cronicle reports here unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, TypeAdapter, ValidationError, field_validator

from progress_app.domain.limits import NAME_MAX, whole_number
from progress_app.domain.progress import make_stages
from progress_app.domain.status import Status
from progress_app.errors import InvalidParams

RESUME_KEY_MAX = 200
LEASE_MIN, LEASE_MAX, LEASE_DEFAULT = 10.0, 3600.0, 60.0
BATCH_MAX = 1000
"""The most updates one report carries (a client that was cut off sends what it buffered in batches)."""
TEXT_MAX = 100_000  # one message, log line or error: more is a mistake, not a report

Text = Annotated[str, Field(max_length=TEXT_MAX)]
Whole = Annotated[int, BeforeValidator(whole_number)]  # 3.0 is 3 (JSON has one kind of number); 3.5, '3', true are not


class RunOpen(BaseModel):
    """The body of POST /api/runs: a script opens a run (or goes on with the run of its `resume_key`)."""

    model_config = ConfigDict(extra='forbid', strict=True, allow_inf_nan=False, json_schema_extra={'examples': [
        {'name': 'nightly backup', 'total': 1200, 'unit': 'files', 'resume_key': 'backup-2026-12-03',
         'host': 'build-box', 'pid': 4242, 'user': 'alice', 'command': 'rsync -a src dst', 'lease_seconds': 60},
        {'name': 'train', 'stages': {'load': 1, 'train': 8, 'evaluate': 1}}]})

    name: Annotated[str, Field(min_length=1, max_length=NAME_MAX)] = 'script'
    total: Annotated[float | None, Field(gt=0, description='Units of work in all (in the first stage, if stages '
                                                           'are declared); null: unknown')] = None
    unit: Annotated[str, Field(min_length=1, max_length=50)] = 'items'
    stages: Annotated[dict[str, float] | list[str] | None,
                      Field(description="{name: weight} or a list of names (equal weights)")] = None
    resume_key: Annotated[str | None, Field(min_length=1, max_length=RESUME_KEY_MAX, description=(
        'Open the run of this key again, unless it has completed: it goes on as attempt N+1 and its last '
        'checkpoint comes back as external.resume_state'))] = None
    notify: Annotated[bool | None, Field(description='Send a notification when it ends (true), never (false), or '
                                                     'as the settings say (null)')] = None
    host: Annotated[str | None, Field(max_length=255)] = None
    user: Annotated[str | None, Field(max_length=255)] = None
    pid: Annotated[Whole | None, Field(ge=0, le=2**31)] = None
    command: Annotated[str | None, Field(max_length=TEXT_MAX, description='What runs, for display')] = None
    lease_seconds: Annotated[float, Field(ge=LEASE_MIN, le=LEASE_MAX, description=(
        'With no report for this long, the run is failed (a later report re-attaches it)'))] = LEASE_DEFAULT

    @field_validator('name')
    @classmethod
    def _named(cls, name: str) -> str:
        if not name.strip():
            raise ValueError('must not be blank')
        return name.strip()

    @field_validator('stages')
    @classmethod
    def _stages(cls, stages: dict[str, float] | list[str] | None) -> dict[str, float] | list[str] | None:
        make_stages(stages)  # its ValueError names the problem
        return stages

    def facts(self) -> dict[str, Any]:
        """What the job keeps in options['external']."""
        return {'host': self.host, 'pid': self.pid, 'user': self.user, 'command': self.command,
                'lease_seconds': self.lease_seconds}


class Update(BaseModel):
    """One update of a report; every field is optional, and `{}` is a heartbeat."""

    model_config = ConfigDict(extra='forbid', strict=True, allow_inf_nan=False, json_schema_extra={'examples': [
        {'current': 42, 'message': 'copying IMG_0042.jpg'},
        {'stage': 'train', 'progress': 0.5, 'log': ['epoch 5 done'], 'checkpoint': {'epoch': 5}},
        {'done': True, 'exit_code': 0, 'result': {'files': 1200}}]})

    current: Annotated[float | None, Field(ge=0, description='Absolute position (in the current stage)')] = None
    total: Annotated[float | None, Field(gt=0, description='null: unknown')] = None
    unit: Annotated[str | None, Field(min_length=1, max_length=50)] = None
    progress: Annotated[float | None, Field(ge=0, le=100, description='A fraction 0..1 (above 1: a percent)')] = None
    percent: Annotated[float | None, Field(ge=0, le=100)] = None
    stage: Annotated[str | None, Field(min_length=1, max_length=NAME_MAX,
                                       description='Enter this declared stage (earlier ones are done)')] = None
    message: Text | None = None
    log: Annotated[Text | list[Text] | None, Field(description='Lines for the job log')] = None
    checkpoint: Annotated[Any, Field(description='The resume point (any JSON), stored before the answer')] = None
    paused: Annotated[bool | None, Field(description='true: the script has stopped for the pause it was asked')] = None
    done: bool | None = None
    exit_code: Whole | None = None
    result: Any = None
    error: Text | None = None
    traceback: Text | None = None
    cancelled: bool | None = None
    complete: Annotated[bool | Literal[0, 1] | None, Field(description="Cronicle's word for done")] = None
    code: Annotated[Whole | None, Field(description="Cronicle's exit code")] = None
    description: Annotated[Text | None, Field(description="Cronicle's error message")] = None

    @property
    def has_checkpoint(self) -> bool:
        return 'checkpoint' in self.model_fields_set

    @property
    def sets_total(self) -> bool:
        """`total` was given, maybe as null (unknown)."""
        return 'total' in self.model_fields_set

    def percent_given(self) -> float | None:
        """`percent`, or `progress` as a percent (a fraction up to 1, a percent above, as the command kind reads
        JSON lines)."""
        if self.percent is not None:
            return self.percent
        if self.progress is not None:
            return self.progress * 100 if self.progress <= 1 else self.progress
        return None

    def log_lines(self) -> list[str]:
        return [] if self.log is None else [self.log] if isinstance(self.log, str) else list(self.log)


@dataclass(frozen=True, slots=True)
class Ending:
    """How the script says its run ended."""

    status: Status
    result: Any = None
    error: str | None = None
    traceback: str | None = None
    exit_code: int | None = None


def ending(update: Update) -> Ending | None:
    """None unless the update says the run is done: cancelled, completed (exit code 0 or none, and no error) or
    failed (with its error, or 'exit code N')."""
    if not (update.done or update.complete):
        return None
    if update.cancelled:
        return Ending(Status.CANCELLED)
    code = update.exit_code if update.exit_code is not None else update.code
    error = update.error or update.description
    if not code and not error:
        return Ending(Status.COMPLETED, result=update.result, exit_code=code)
    return Ending(Status.FAILED, error=error or f'exit code {code}', traceback=update.traceback, exit_code=code)


def control(status: Status, pause_requested: bool, cancel_requested: bool) -> str:
    """What the answer tells the script: 'cancel', 'pause' or 'run'."""
    if cancel_requested or status in (Status.CANCELLING, Status.CANCELLED):
        return 'cancel'
    if pause_requested or status is Status.PAUSED:
        return 'pause'
    return 'run'


_BATCH = TypeAdapter(Annotated[list[Update], Field(max_length=BATCH_MAX)])


def parse_run(fields: Any) -> RunOpen:
    """The body of POST /api/runs; raises InvalidParams."""
    try:
        return fields if isinstance(fields, RunOpen) else RunOpen.model_validate(fields)
    except ValidationError as exc:
        raise InvalidParams.from_validation(exc) from None


def parse_updates(body: Any) -> tuple[list[Update], bool]:
    """A report's body — one update or a list of them — as updates, and whether it was one. Raises InvalidParams
    naming the field of the first bad update (pydantic's words)."""
    if isinstance(body, Update):
        return [body], True
    try:
        if isinstance(body, list):
            return _BATCH.validate_python(body), False
        return [Update.model_validate(body)], True
    except ValidationError as exc:
        raise InvalidParams.from_validation(exc) from None
