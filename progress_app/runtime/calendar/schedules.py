"""Schedules: a job definition (kind, params, name, priority) plus an APScheduler trigger — a cron expression, an
interval, or one time. They live in APScheduler's SQLAlchemyJobStore on the app's own database, so they survive
restarts; a run missed while the app was down runs once at the next start (coalesced) and the job it creates
says how late it was.
"""

from __future__ import annotations

import contextlib
import logging
import pickle
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated, Any

import sqlalchemy as sa
from apscheduler.job import Job as SchedulerJob
from apscheduler.jobstores.base import JobLookupError
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.date import DateTrigger
from apscheduler.triggers.interval import IntervalTrigger
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator
from tzlocal import get_localzone

from progress_app.domain.attempts import POLICY, Retries, RetryDelay, TimeoutSeconds
from progress_app.domain.cron import crontab_fields
from progress_app.domain.limits import KIND_MAX, NAME_MAX, Priority
from progress_app.domain.overlap import DEFAULT_OVERLAP, Overlap, decide
from progress_app.domain.stall import OnStall
from progress_app.errors import InvalidParams, NotFound, ProgressAppError
from progress_app.runtime.settings.notify import destinations

if TYPE_CHECKING:
    from apscheduler.schedulers.base import BaseScheduler

    from progress_app.kinds.registry import JobKind

log = logging.getLogger(__name__)

FIRE = 'progress_app.runtime.calendar.schedules:fire'
MOVED = ('progress_app.runtime.schedules:fire',)  # where `fire` was before; databases still name it so
TABLE = 'apscheduler_jobs'
STORE = 'schedules'
LATE_SECONDS = 5.0
TRIGGERS = ('cron', 'interval_seconds', 'run_at')


def _exactly_one_trigger(schema: dict[str, Any]) -> None:
    """Say in the JSON schema what `_one_trigger` checks: one of the three is given and not null, the others are
    left out or null."""
    schema['oneOf'] = [{'required': [name], 'properties': {
        other: {'not': {'type': 'null'}} if other == name else {'type': 'null'} for other in TRIGGERS}}
        for name in TRIGGERS]


class ScheduleSpec(BaseModel):
    """A schedule as the API and the UI give it: what to run, and exactly one of cron / interval / run_at."""

    model_config = ConfigDict(extra='forbid', strict=True, json_schema_extra=_exactly_one_trigger)

    kind: Annotated[str, Field(min_length=1, max_length=KIND_MAX)]
    params: dict[str, Any] = {}
    name: Annotated[str | None, Field(min_length=1, max_length=NAME_MAX)] = None
    priority: Priority = 0
    cron: Annotated[str | None, Field(description="Crontab line in the app's local time: '30 2 * * 1-5'")] = None
    interval_seconds: Annotated[float | None, Field(ge=1, le=366 * 86400)] = None
    run_at: Annotated[datetime | None, Field(strict=False, description='ISO time; without a zone: local')] = None
    notify: Annotated[bool | None, Field(description='Notify when each of its jobs ends (true), never (false), or '
                                                     'as the settings say (null)')] = None
    overlap: Annotated[Overlap, Field(description='When it fires while its last run is still active: skip that fire '
                                                  '(default), queue one run after it, cancel_previous, or allow '
                                                  'runs to pile up')] = DEFAULT_OVERLAP
    timeout_seconds: TimeoutSeconds = None
    retries: Retries = 0
    retry_delay_seconds: RetryDelay = None
    notify_to: Annotated[list[str] | None, Field(max_length=20, description='Apprise URLs its notifications go to '
                                                                      'instead of those in Settings (each of its jobs; '
                                                                      'implies notify unless it is false)')] = None
    on_stall: Annotated[OnStall | None, Field(description="When a run's progress stands still far longer than its "
                                                          "pace: 'warn' (flag it stalled) or 'fail' it")] = None

    @field_validator('cron')
    @classmethod
    def _cron_parses(cls, value: str | None) -> str | None:
        if value is not None:
            check_cron(value)
        return value

    @model_validator(mode='after')
    def _one_trigger(self) -> ScheduleSpec:
        given = [n for n in TRIGGERS if getattr(self, n) is not None]
        if len(given) != 1:
            raise ValueError('give exactly one of cron, interval_seconds or run_at' + (
                f' (got {", ".join(given)})' if given else ''))
        return self

    def trigger(self) -> BaseTrigger:
        zone = get_localzone()
        if self.cron is not None:
            return CronTrigger(**crontab_fields(self.cron), timezone=zone)
        if self.interval_seconds is not None:
            return IntervalTrigger(seconds=self.interval_seconds, timezone=zone)
        assert self.run_at is not None
        run_at = self.run_at if self.run_at.tzinfo else self.run_at.replace(tzinfo=zone)
        return DateTrigger(run_date=run_at)

    def job_fields(self) -> dict[str, Any]:
        return {'kind': self.kind, 'params': self.params, 'name': self.name, 'priority': self.priority,
                'notify': self.notify, **{name: getattr(self, name) for name in POLICY}, 'on_stall': self.on_stall,
                'notify_to': self.notify_to}


def check_cron(expression: str) -> None:
    """Raises ValueError, with the reason, for a crontab line that cannot be scheduled or never fires."""
    trigger = CronTrigger(**crontab_fields(expression), timezone=get_localzone())
    # '0 0 30 2 *' parses, but no date matches it: APScheduler finds that out by searching up to year 9999 (~0.2 s)
    if trigger.get_next_fire_time(None, datetime.now(UTC)) is None:
        raise ValueError(f"the cron line '{expression}' never fires: no date matches it")


def fire(engine_key: str, schedule_id: str, job: dict[str, Any], due: float | None = None,
         **_bookkeeping: Any) -> None:
    """Run by APScheduler (by this name, from its database) when a schedule is due. The schedule's own record
    (definition, created_at, last_run_at) rides along in the same kwargs and is not needed here."""
    schedules = _ACTIVE.get(engine_key)
    if schedules is not None:
        schedules.run(schedule_id, job, due)


_ACTIVE: dict[str, Schedules] = {}
"""The schedules of this process by the engine's key. APScheduler keeps a schedule in the database with the name of
`fire` as text and the key as its argument, so `fire` can only find the live object through such a table."""


def adopt_stored_schedules(db: sa.Engine, engine_key: str) -> int:
    """Before the calendar loads the stored schedules, point each at `fire` (one stored by an older release names
    it by its old module path, and APScheduler drops a stored job whose function it cannot import) and at this
    engine's key: the key comes from the database URL, which changes when the same database is reached otherwise
    (a rotated password, another host name, a moved data dir), and `fire` finds no engine by the old one. Returns
    how many it changed."""
    if not sa.inspect(db).has_table(TABLE):
        return 0
    table = sa.Table(TABLE, sa.MetaData(), autoload_with=db)
    changed = 0
    with db.begin() as connection:
        for schedule_id, blob in connection.execute(sa.select(table.c.id, table.c.job_state)).all():
            state = pickle.loads(blob)  # APScheduler's own record of a job it stored
            func, args = state.get('func'), tuple(state.get('args') or ())
            if func in (FIRE, *MOVED) and (func != FIRE or args[:1] != (engine_key,)):
                state['func'], state['args'] = FIRE, (engine_key, *args[1:])
                connection.execute(table.update().where(table.c.id == schedule_id)
                                   .values(job_state=pickle.dumps(state, pickle.HIGHEST_PROTOCOL)))
                changed += 1
    return changed


class Schedules:
    """The user's schedules on `calendar` (a scheduler with the database job store `STORE`). `check(kind, params)`
    validates what a schedule would run, `submit(fields, **extra)` creates its job when it is due; `active(id)` are
    the schedule's unfinished runs as (job id, status), oldest first, and `cancel(job_id)` cancels one: what its
    overlap policy looks at and does."""

    def __init__(self, calendar: BaseScheduler, key: str, *,
                 check: Callable[[str, Any], tuple[JobKind, dict[str, Any]]],
                 submit: Callable[..., dict[str, Any]], active: Callable[[str], list[tuple[int, str]]],
                 cancel: Callable[[int], Any]) -> None:
        self._scheduler, self._key = calendar, key
        self._check, self._submit = check, submit
        self._active, self._cancel = active, cancel

    def open(self) -> None:
        """Run this app's schedules when they are due (before its calendar starts)."""
        _ACTIVE[self._key] = self

    def close(self) -> None:
        """No longer run this app's schedules (its engine stopped)."""
        if _ACTIVE.get(self._key) is self:
            del _ACTIVE[self._key]

    def create(self, spec: dict[str, Any] | ScheduleSpec) -> dict[str, Any]:
        spec = validate(spec)
        destinations(spec.job_fields())  # its URLs must be ones Apprise takes, as a job's would
        # the job it makes must be valid (and its paths allowed) before the schedule is stored
        kind, _ = self._check(spec.kind, spec.params)
        schedule_id = uuid.uuid4().hex[:12]
        trigger = spec.trigger()
        now = datetime.now(UTC)
        first = trigger.get_next_fire_time(None, now)
        if first is None or first < now:
            given = next(n for n in TRIGGERS if getattr(spec, n) is not None)
            raise InvalidParams.field(given, 'that time has passed' if given == 'run_at' else 'it never fires')
        self._scheduler.add_job(FIRE, trigger, args=[self._key, schedule_id], id=schedule_id,
                                name=spec.name or kind.title, jobstore=STORE, misfire_grace_time=None,
                                coalesce=True, max_instances=1,
                                kwargs={'job': spec.job_fields(), 'due': first.timestamp(),
                                        'created_at': time.time(), 'definition': spec.model_dump(mode='json')})
        return self.get(schedule_id)

    def run(self, schedule_id: str, job: dict[str, Any], due: float | None) -> None:
        """Create the scheduled job, as its overlap policy says while an earlier run is active (or count the fire
        as skipped); remember when the next run is due, to tell lateness next time, and why no job was created if
        the app refused it (the command kind switched off since, a plugin's kind gone)."""
        entry = self._scheduler.get_job(schedule_id, STORE)
        policy = (entry.kwargs.get('definition') or {}).get('overlap', DEFAULT_OVERLAP) if entry else DEFAULT_OVERLAP
        fire = decide(policy, self._active(schedule_id))
        if fire.skipped:
            log.info('schedule %s skipped a run: its last run is still active (overlap: %s)', schedule_id, policy)
            skipped = (entry.kwargs.get('skipped_runs') or 0) + 1 if entry else 1
            self._note(schedule_id, skipped_runs=skipped, last_skipped_at=time.time())
            return
        for job_id in fire.cancel:
            with contextlib.suppress(ProgressAppError):  # it may have ended meanwhile
                self._cancel(job_id)
        late = time.time() - due if due is not None else 0.0
        waits = {} if fire.after is None else {'after': fire.after, 'options': {'after_any_end': True}}
        problem = None
        try:
            self._submit(job, schedule_id=schedule_id, late_seconds=late if late > LATE_SECONDS else None, **waits)
        except ProgressAppError as exc:
            problem = str(exc).removeprefix('kind: ')  # the kind is in the schedule's row already
            log.warning('schedule %s started no job: %s', schedule_id, problem)
        self._note(schedule_id, last_run_at=time.time(), last_error=problem)

    def _note(self, schedule_id: str, **bookkeeping: Any) -> None:
        """Keep what this fire did, and when the next one is due, in the schedule's record."""
        entry = self._scheduler.get_job(schedule_id, STORE)
        if entry is not None and entry.next_run_time is not None:
            entry.modify(kwargs={**entry.kwargs, 'due': entry.next_run_time.timestamp(), **bookkeeping})

    def run_now(self, schedule_id: str) -> dict[str, Any]:
        """Start the schedule's job now, as an extra run: its next runs stay as they were. Raises what a submission
        would (InvalidParams, KindNotFound) if the app refuses the job."""
        return self._submit(self._entry(schedule_id).kwargs['job'], schedule_id=schedule_id)

    def list(self) -> list[dict[str, Any]]:
        return [describe(entry) for entry in self._scheduler.get_jobs(STORE)]

    def get(self, schedule_id: str) -> dict[str, Any]:
        return describe(self._entry(schedule_id))

    def pause(self, schedule_id: str) -> dict[str, Any]:
        self._entry(schedule_id).pause()
        return self.get(schedule_id)

    def resume(self, schedule_id: str) -> dict[str, Any]:
        self._entry(schedule_id).resume()
        return self.get(schedule_id)

    def remove(self, schedule_id: str) -> None:
        self._entry(schedule_id)
        with contextlib.suppress(JobLookupError):
            self._scheduler.remove_job(schedule_id, STORE)

    def _entry(self, schedule_id: str) -> SchedulerJob:
        entry = self._scheduler.get_job(schedule_id, STORE)
        if entry is None:
            raise NotFound(f'schedule {schedule_id} does not exist')
        return entry


def validate(spec: dict[str, Any] | ScheduleSpec) -> ScheduleSpec:
    if isinstance(spec, ScheduleSpec):
        return spec
    try:
        return ScheduleSpec.model_validate(spec)
    except ValidationError as exc:
        raise InvalidParams.from_validation(exc) from None


def describe(entry: SchedulerJob) -> dict[str, Any]:
    definition = entry.kwargs.get('definition', {})
    return {
        'id': entry.id, 'name': entry.name, 'kind': definition.get('kind'), 'params': definition.get('params', {}),
        'priority': definition.get('priority', 0), 'notify': definition.get('notify'),
        'cron': definition.get('cron'), 'interval_seconds': definition.get('interval_seconds'),
        'run_at': definition.get('run_at'),
        'next_run_at': entry.next_run_time.astimezone(UTC).isoformat() if entry.next_run_time else None,
        'paused': entry.next_run_time is None, 'trigger': str(entry.trigger),
        'last_run_at': _iso(entry.kwargs.get('last_run_at')), 'last_error': entry.kwargs.get('last_error'),
        'created_at': _iso(entry.kwargs.get('created_at')),
        'overlap': definition.get('overlap', DEFAULT_OVERLAP), 'skipped_runs': entry.kwargs.get('skipped_runs', 0),
        'last_skipped_at': _iso(entry.kwargs.get('last_skipped_at')),
        'timeout_seconds': definition.get('timeout_seconds'), 'retries': definition.get('retries') or 0,
        'retry_delay_seconds': definition.get('retry_delay_seconds'), 'on_stall': definition.get('on_stall'),
        'notify_to': definition.get('notify_to'),
    }


def _iso(ts: float | None) -> str | None:
    return datetime.fromtimestamp(ts, UTC).isoformat() if ts else None
