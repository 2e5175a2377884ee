"""The engine: wires store, recorder, sampler, bus, dispatcher and runner, and starts and stops them.

Each part is handed what it works with; none of them holds the engine.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections import OrderedDict
from datetime import UTC, datetime, timedelta

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.jobstores.memory import MemoryJobStore
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore

from progress_app.config import Settings
from progress_app.domain.status import Status
from progress_app.errors import JobNotFound, UnreadableJob
from progress_app.kinds import builtin
from progress_app.kinds.plugins import PluginProblem, load_plugins
from progress_app.kinds.registry import Registry, registry
from progress_app.runtime.calendar import maintenance
from progress_app.runtime.calendar.deferred import Deferred
from progress_app.runtime.calendar.scheduler import Scheduler
from progress_app.runtime.calendar.schedules import STORE as SCHEDULES
from progress_app.runtime.calendar.schedules import adopt_stored_schedules
from progress_app.runtime.engine import process
from progress_app.runtime.engine.dispatcher import Dispatcher
from progress_app.runtime.engine.expectations import Expectations
from progress_app.runtime.engine.external import LEASE_CHECK_SECONDS, ExternalRuns
from progress_app.runtime.engine.job import Job
from progress_app.runtime.engine.lifecycle import Lifecycle
from progress_app.runtime.engine.orphans import Orphans
from progress_app.runtime.engine.recovery import job_from_row, recover
from progress_app.runtime.engine.retries import Retries
from progress_app.runtime.engine.runner import Runner
from progress_app.runtime.engine.stalls import Stalls
from progress_app.runtime.engine.timeouts import Timeouts
from progress_app.runtime.executor import make_executor
from progress_app.runtime.files.job_files import JobFiles
from progress_app.runtime.live.bus import EventBus
from progress_app.runtime.live.heartbeat import LoopHeartbeat
from progress_app.runtime.live.recorder import Recorder
from progress_app.runtime.live.sampler import Sampler
from progress_app.runtime.live.usage import INTERVAL_SECONDS as USAGE_SECONDS
from progress_app.runtime.live.usage import UsageSampler
from progress_app.runtime.settings.notify import Notifier
from progress_app.runtime.settings.user_settings import UserSettings
from progress_app.store.engine import check_reachable, create_db_engine, init_schema
from progress_app.store.instance_lock import InstanceLock
from progress_app.store.repository import Repository

log = logging.getLogger(__name__)

POOL_THREADS = 32  # deferred releases, notifications, the purge (jobs run in the dispatcher's own threads)
CALENDAR_THREADS = 4  # a schedule's run only creates a job
RECENT_FINISHED = 2000  # finished jobs kept in memory for the UI


class Engine:
    def __init__(self, settings: Settings, kinds: Registry = registry) -> None:
        builtin.register()
        self.settings = settings
        self.kinds = kinds
        # Stable across restarts: schedules stored in the database name the engine they belong to by this key.
        self.key = hashlib.sha256(settings.db_url.encode()).hexdigest()[:16]
        self.jobs: dict[int, Job] = {}  # unfinished jobs
        self.recent: OrderedDict[int, Job] = OrderedDict()  # finished ones, newest last
        # Jobs in a worker thread (running, or paused there): the only ones whose progress, checkpoint or stage
        # changes, so the only ones the recorder and the sampler look at (not thousands of queued ones).
        self.working: dict[int, Job] = {}
        self.bus = EventBus()
        # Lets the event loop have the GIL while jobs compute (see live/heartbeat.py); handed to each job's context.
        self.heartbeat = LoopHeartbeat()
        self.repo = Repository(create_db_engine(settings.db_url))
        self.instance = InstanceLock(self.repo.engine)  # held from check_database() or start() until stop()
        self.recorder = Recorder(self.repo, lambda: self.working.values())
        self.sampler = Sampler(lambda: self.working.values(), self.bus, self.live)
        defaults = {'coalesce': True, 'misfire_grace_time': None}
        # Runs the jobs (and the deferred releases, notifications and retention purge), all in memory.
        self.scheduler = Scheduler(executors={'default': ThreadPoolExecutor(POOL_THREADS)},
                                   jobstores={'default': MemoryJobStore()}, job_defaults=defaults, timezone='UTC')
        # The user's schedules, kept in the app's database. A scheduler of their own: every add_job wakes its
        # scheduler, which then queries each of its stores, and on the job scheduler those two queries per job
        # start were ~19 % of the CPU a trivial job costs.
        self.calendar = Scheduler(executors={'default': ThreadPoolExecutor(CALENDAR_THREADS)},
                                  jobstores={SCHEDULES: SQLAlchemyJobStore(engine=self.repo.engine,
                                                                           tablename='apscheduler_jobs')},
                                  job_defaults=defaults, timezone='UTC')
        self.files = JobFiles(settings.job_paths, self.job)
        self.orphans = Orphans(settings.data_dir / 'run', self.key)
        self.dispatcher = Dispatcher(self._run, settings.workers)
        self.user_settings = UserSettings(settings, self.repo, kinds,
                                          applied=lambda prefs: self.dispatcher.set_limit(prefs.workers))
        # Events are numbered on from the last stored one once start() has read it.
        self.lifecycle = Lifecycle(self.repo, self.bus, 1, on_move=self._on_move,
                                   allowed_dirs=self.user_settings.allowed_dirs)
        # Where job functions run: the dispatcher's threads, or a Dask cluster (started with the engine).
        self.executor = make_executor(settings.executor, settings.executor_workers, data_dir=settings.data_dir,
                                      plugins_dir=settings.plugins_dir, lifecycle=self.lifecycle, key=self.key)
        self.deferred = Deferred(self.scheduler, self.lifecycle, job=self.job, enqueue=self.dispatcher.enqueue)
        self.timeouts = Timeouts(self.scheduler, self.live)
        self.retries = Retries(self.lifecycle, kinds, arm=self.deferred.arm)
        self.runner = Runner(jobs=self.jobs, working=self.working, lifecycle=self.lifecycle, kinds=kinds,
                             files=self.files, orphans=self.orphans, log_max_bytes=settings.log_max_bytes,
                             record=self.recorder.enqueue, abandoned=self.dispatcher.abandon,
                             heartbeat=self.heartbeat, executor=self.executor, fail=self.retries.fail)
        self.external = ExternalRuns(repo=self.repo, lifecycle=self.lifecycle, job=self.job, live=self.live,
                                     remember=self._external_started, working=self.working,
                                     log_file=self.files.log_file,
                                     log_max_bytes=settings.log_max_bytes)
        self.notifier = Notifier(self.scheduler, self.repo, preferences=self.user_settings.preferences,
                                 job=self.job)
        self.expectations = Expectations(self.repo, self.scheduler, self.lifecycle, self.bus, live=self.live,
                                         warn=self.notifier.job_overdue)  # learned durations, overdue runs
        self.stalls = Stalls(lambda: self.working.values(), event=self.lifecycle.event, publish=self.bus.publish_state,
                             notify=self.notifier.job_stalled, minimum=settings.stall_min_seconds,
                             expected=lambda job: job.expected_seconds)  # learned by self.expectations
        self.usage = UsageSampler(lambda: self.working.values(), after=self.stalls.check)
        self.plugin_kinds: list[str] = []
        self.plugin_problems: list[PluginProblem] = []
        self.recovery_problems: list[str] = []
        self.started = False
        self._lock = threading.Lock()

    def start(self) -> None:
        settings = self.settings
        for folder in (settings.data_dir, settings.logs_dir, settings.outputs_dir, settings.plugins_dir):
            folder.mkdir(parents=True, exist_ok=True)
        self.check_database()
        # Job processes an earlier run left (its reaper died with it) must not run on beside the jobs' new runs.
        self.orphans.sweep()
        adopt_stored_schedules(self.repo.engine, self.key)
        self.lifecycle.number_events_from(self.repo.max_event_id() + 1)
        self.plugin_kinds, self.plugin_problems = load_plugins(settings.plugins_dir, self.kinds)
        recovered = recover(self.repo, self.lifecycle, self.kinds)
        self.recovery_problems = recovered.problems
        for job in recovered.jobs:
            self.remember(job)
        self.external.adopt(recovered.jobs)
        self.recorder.start(self.lifecycle.event, self.bus.publish_state)
        self.sampler.start()
        self.scheduler.start()
        self.calendar.start()
        self.scheduler.add_job(self.purge, 'interval', hours=1, id='retention',
                               next_run_time=datetime.now(UTC) + timedelta(seconds=30))
        self.scheduler.add_job(self.external.check_leases, 'interval', seconds=LEASE_CHECK_SECONDS, id='leases')
        self.scheduler.add_job(self.usage.tick, 'interval', seconds=USAGE_SECONDS, id='usage')  # CPU, memory; stalls
        self.user_settings.load()
        for job in sorted(recovered.jobs, key=lambda j: j.id):
            if job.status is Status.QUEUED:
                self.dispatcher.enqueue(job.id, job.priority)
            elif job.status is Status.SCHEDULED:
                self.deferred.arm(job)
        self.dispatcher.open()
        self.started = True
        if recovered.interrupted:
            log.info('resuming %d interrupted job(s): %s', len(recovered.interrupted), recovered.interrupted)

    def check_database(self) -> None:
        """Claim the database (another app on it is refused: DatabaseInUse) and bring its schema to this app's;
        start the executor (a Dask scheduler that cannot be reached is said in one line: ConfigError)."""
        check_reachable(self.repo.engine)
        self.instance.acquire()
        init_schema(self.repo.engine)
        try:
            self.executor.start()
        except BaseException:
            self.instance.release()
            raise

    def stop(self, timeout: float = 10.0) -> None:
        """Stop taking work, interrupt running jobs (they resume on the next start) and flush everything.

        Jobs get `timeout` seconds to reach a check point. The thread of one that does not (stuck in a sleep or a
        blocking call) cannot be stopped: the job is recorded as interrupted (cancelled, if it was being
        cancelled) and its thread abandoned; it is a daemon thread, so it does not keep the process alive.
        """
        if not self.started:
            self.executor.stop()
            self.instance.release()  # claimed by check_database() for a start that did not come
            return
        self.started = False
        self.dispatcher.close()
        # Taken by a serving loop (maybe not started yet: it then stays queued) or running in a worker.
        taken = self.dispatcher.busy()
        busy = [job for job in list(self.jobs.values()) if job.in_worker or job.id in taken]
        for job in busy:
            job.request_stop(interrupt_requested=True)
            process.terminate_groups(job.processes)
        deadline = time.monotonic() + timeout
        while (self.dispatcher.busy() or any(job.in_worker for job in busy)) and time.monotonic() < deadline:
            time.sleep(0.01)
        for job in busy:
            if job.in_worker:
                self.runner.abandon(job)
        self.executor.stop()
        self.calendar.shutdown(wait=False)
        self.scheduler.shutdown(wait=False)
        self.sampler.stop()
        self.recorder.stop()
        self.repo.engine.dispose()
        self.instance.release()

    def live(self, job_id: int) -> Job | None:
        return self.jobs.get(job_id) or self.recent.get(job_id)

    def job(self, job_id: int) -> Job:
        """The live object of a job; loaded from the store if not in memory. Raises JobNotFound, UnreadableJob."""
        live = self.live(job_id)
        if live is not None:
            return live
        row = self.repo.get_job(job_id)
        if row is None:
            raise JobNotFound(job_id)
        try:
            return job_from_row(row)
        except ValueError as exc:
            raise UnreadableJob(job_id, str(exc)) from None

    def remember(self, job: Job) -> None:
        """Keep the job in memory, among the unfinished or the recently finished ones as its status says."""
        with self._lock:
            if job.status.is_terminal:
                self.jobs.pop(job.id, None)
                self.recent[job.id] = job
                self.recent.move_to_end(job.id)
                while len(self.recent) > RECENT_FINISHED:
                    self.recent.popitem(last=False)
            else:
                self.recent.pop(job.id, None)
                self.jobs[job.id] = job

    def forget(self, job_id: int) -> None:
        with self._lock:
            self.jobs.pop(job_id, None)
            self.recent.pop(job_id, None)
            self.working.pop(job_id, None)
        self.recorder.forget(job_id)
        self.external.forget(job_id)

    def purge(self) -> int:
        """Delete the finished jobs older than the retention period (hourly); returns how many."""
        return maintenance.purge(self.repo, lambda: self.user_settings.value('retention_days'), self.forget,
                                 self.files.delete)

    def _run(self, job_id: int) -> None:
        self.runner.run(job_id)

    def _external_started(self, job: Job) -> None:
        """A new external run: kept in memory, and told what its earlier runs took."""
        self.remember(job)
        self.expectations.on_move(job)

    def _on_move(self, job: Job) -> None:
        self.remember(job)
        self.deferred.on_move(job)
        self.timeouts.on_move(job)
        self.expectations.on_move(job)
        self.stalls.on_move(job)
        self.notifier.on_move(job)
