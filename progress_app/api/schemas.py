"""Request and response models of the HTTP API (they drive validation and the OpenAPI document)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

from progress_app.domain.attempts import Retries, RetryDelay, TimeoutSeconds
from progress_app.domain.limits import KIND_MAX, NAME_MAX, Priority
from progress_app.domain.overlap import Overlap
from progress_app.domain.stall import OnStall


class JobCreate(BaseModel):
    model_config = ConfigDict(extra='forbid', strict=True, json_schema_extra={
        'examples': [{'kind': 'demo', 'params': {'items': 50}, 'name': 'Try it', 'priority': 0}]})

    kind: Annotated[str, Field(min_length=1, max_length=KIND_MAX,
                               description="A kind from GET /api/kinds, e.g. 'demo'")]
    params: Annotated[dict[str, Any], Field(description="The kind's parameters (see its params_schema)")] = {}
    name: Annotated[str | None, Field(min_length=1, max_length=NAME_MAX)] = None
    priority: Priority = 0
    run_at: Annotated[datetime | None, Field(strict=False, description='Start at this ISO time (without a zone: '
                                                                       "the app's local time); until then the job is "
                                                                       'scheduled')] = None
    after: Annotated[int | None, Field(ge=1, le=2**53, description='Start when this job completes; cancelled if it '
                                                                  'fails or is cancelled')] = None
    cron: Annotated[str | None, Field(description="Run on this crontab line instead (creates a schedule): "
                                                  "'0 3 * * *'")] = None
    notify: Annotated[bool | None, Field(description='Send a notification when it ends (true), never (false), or '
                                                     'as the settings say (null)')] = None
    overlap: Annotated[Overlap | None, Field(description='With cron: what a fire does while the last run is still '
                                                         'active (skip, queue, cancel_previous, allow)')] = None
    timeout_seconds: TimeoutSeconds = None
    retries: Retries = 0
    retry_delay_seconds: RetryDelay = None
    notify_to: Annotated[list[str] | None, Field(
        max_length=20, description='Apprise URLs its notifications go to instead of those in Settings (this job '
                                   'only; implies notify unless it is false)')] = None
    on_stall: Annotated[OnStall | None, Field(description="When its progress stands still far longer than its pace: "
                                                          "'warn' (flag it stalled; the default) or 'fail' it")] = None


class StageOut(BaseModel):
    name: str
    weight: float
    state: str
    started_at: str | None = None
    finished_at: str | None = None
    seconds: float | None = Field(None, description='How long the job has run in this stage, summed over its '
                                                    'attempts (pauses not counted)')
    attempts: int | None = Field(None, description='How many attempts of the job ran in this stage')


class ExternalOut(BaseModel):
    """An external run's facts: where its script runs and how it reports (POST /api/runs)."""

    host: str | None
    pid: int | None
    user: str | None
    command: str | None = Field(description='What runs, for display')
    lease_seconds: float = Field(description='With no report for this long, the run fails (a later report takes it '
                                             'up again)')
    resume_key: str | None
    last_report_at: str | None = Field(description='When its script last reported (heartbeats too)')
    resume_state: Any = Field(description='The last checkpoint its script sent (any JSON), or null')


class RetryOut(BaseModel):
    number: int = Field(description='The retry it waits for: 1 for the first')
    of: int = Field(description='How many retries the job has in all')
    at: str | None = Field(description='When it starts')


class ResourcesOut(BaseModel):
    cpu_percent: float | None = Field(description='CPU use over the last second, in percent of one core (null '
                                      'when not running)')
    rss_bytes: int | None = Field(description='Resident memory of its process tree now (null without processes '
                                  'or when not running)')
    peak_rss_bytes: int | None = Field(description='The most resident memory its process tree held, all attempts')
    cpu_seconds: float | None = Field(description='CPU time its processes and thread used, all attempts')


class JobOut(BaseModel):
    id: int
    name: str
    kind: str
    status: str
    priority: int
    params: dict[str, Any]
    progress: float = Field(description='Percent, 0-100; never goes backwards while the job runs')
    stage: str | None
    stage_index: int
    stages: list[StageOut]
    message: str
    current: float
    total: float | None
    unit: str
    speed: float | None = Field(description='Units of the current stage per second (smoothed)')
    eta_seconds: float | None = Field(description='Seconds left (estimated; for a job that reports no progress: its '
                                      'expected duration less the time it has run)')
    elapsed_seconds: float
    created_at: str | None
    started_at: str | None
    finished_at: str | None
    run_at: str | None
    attempts: int
    error: str | None
    error_stage: str | None
    traceback: str | None
    result: Any
    has_output: bool
    queue_position: int | None
    schedule_id: str | None
    options: dict[str, Any]
    cancel_requested_at: str | None = Field(None, description='When Cancel was asked for. A job in a worker is '
                                            "'cancelling' until its next check point (ctx.check(), ctx.track())")
    cancel_waiting_seconds: float | None = Field(None, description="While 'cancelling': how long it has waited "
                                                 'for that check point')
    external: ExternalOut | None = Field(None, description='null for jobs the app runs; for an external run (a '
                                         'script outside the app reports into it), its facts')
    pause_requested: bool = Field(False, description='Pause was asked and the job has not paused yet (pausing…)')
    retry: RetryOut | None = Field(None, description='While the job waits for an automatic retry: which, and when')
    expected_seconds: float | None = Field(None, description='How long it usually takes: the median of its latest '
                                           'successful runs (same schedule, or same kind and parameters); null if '
                                           'unknown')
    estimated_progress: float | None = Field(None, description='While it runs without reporting progress: percent '
                                             'by time against expected_seconds (an estimate, at most 99)')
    overdue: bool = Field(False, description='It has run more than twice its expected duration')
    stalled: bool = Field(False, description='Running, but its progress has stood still far longer than its pace')
    stalled_since: str | None = Field(None, description='Since when its progress stands still (while stalled)')
    resources: ResourcesOut | None = Field(None, description='CPU and memory of its processes and thread, sampled '
                                           'about once a second; null before the first sample')


class UnreadableOut(BaseModel):
    id: int
    name: str
    error: str


class JobList(BaseModel):
    items: list[JobOut]
    total: int
    unreadable: list[UnreadableOut] = Field(default=[], description='Jobs of this page whose stored row is damaged: '
                                            'counted in total, not in items; they can only be removed')


class KindOut(BaseModel):
    name: str
    title: str
    description: str
    params_schema: dict[str, Any]
    stages: list[dict[str, Any]] | None
    pausable: bool
    resumable: bool
    restart: str
    icon: str
    source: str


class Health(BaseModel):
    status: str
    version: str
    executor: dict[str, Any] = Field(description="Where job functions run: {'executor': 'threads' | 'processes' | "
                                     "'tcp://HOST:PORT', 'workers', 'address', 'dashboard'}")


class EventOut(BaseModel):
    id: int = Field(description='Global, increasing across all jobs (the SSE event id)')
    job_id: int
    seq: int = Field(description="Per job, from 1; use it as 'since' to fetch only newer events")
    at: float = Field(description='Unix time in seconds')
    type: str
    data: dict[str, Any]


class QueueStats(BaseModel):
    scheduled: int
    queued: int
    running: int
    paused: int
    cancelling: int
    completed: int
    failed: int
    cancelled: int
    total_processed: int


class ScheduleOut(BaseModel):
    id: str
    name: str
    kind: str | None
    params: dict[str, Any]
    priority: int
    notify: bool | None
    cron: str | None
    interval_seconds: float | None
    run_at: str | None
    next_run_at: str | None
    paused: bool
    trigger: str
    last_run_at: str | None
    last_error: Annotated[str | None, Field(description='Why its last run started no job (none: it did)')] = None
    created_at: str | None
    overlap: Annotated[Overlap, Field(description='What a fire does while its last run is still active')] = 'skip'
    skipped_runs: Annotated[int, Field(description='Fires skipped because the last run was still active')] = 0
    last_skipped_at: str | None = None
    timeout_seconds: float | None = None
    retries: int = 0
    retry_delay_seconds: float | None = None
    notify_to: list[str] | None = None
    on_stall: OnStall | None = None
