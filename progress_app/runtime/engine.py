"""The engine: wires store, recorder, sampler, bus, dispatcher and runner, and starts and stops them."""

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
from progress_app.kinds import builtin
from progress_app.kinds.plugins import PluginProblem, load_plugins
from progress_app.kinds.registry import Registry, registry
from progress_app.runtime import process
from progress_app.runtime.bus import EventBus
from progress_app.runtime.deferred import Deferred
from progress_app.runtime.dispatcher import Dispatcher
from progress_app.runtime.job import Job
from progress_app.runtime.lifecycle import Lifecycle
from progress_app.runtime.notify import Notifier
from progress_app.runtime.orphans import Orphans
from progress_app.runtime.preferences import allowed_folders, effective
from progress_app.runtime.recorder import Recorder
from progress_app.runtime.recovery import recover
from progress_app.runtime.runner import ENGINES, Runner
from progress_app.runtime.sampler import Sampler
from progress_app.runtime.scheduler import Scheduler
from progress_app.runtime.schedules import STORE as SCHEDULES
from progress_app.runtime.schedules import Schedules
from progress_app.store.engine import create_db_engine, init_schema
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
        self.repo = Repository(create_db_engine(settings.db_url))
        self.recorder = Recorder(self.repo, lambda: self.working.values())
        self.sampler = Sampler(lambda: self.working.values(), self.bus)
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
        self.runner = Runner(self)
        self.dispatcher = Dispatcher(self.runner.run, settings.workers)
        self.deferred = Deferred(self)
        self.notifier = Notifier(self)
        self.schedules = Schedules(self)
        self.lifecycle: Lifecycle
        # The folders jobs may read and write (None: any), from the start-up settings until start() reads the
        # saved preferences; JobService.update_preferences keeps it current after that.
        self.allowed_dirs = allowed_folders(settings, effective(settings, {}))
        self.plugin_kinds: list[str] = []
        self.plugin_problems: list[PluginProblem] = []
        self.recovery_problems: list[str] = []
        self.started = False
        self._lock = threading.Lock()

    def start(self) -> None:
        settings = self.settings
        for folder in (settings.data_dir, settings.logs_dir, settings.outputs_dir, settings.plugins_dir):
            folder.mkdir(parents=True, exist_ok=True)
        # Job processes an earlier run left (its reaper died with it) must not run on beside the jobs' new runs.
        self.orphans = Orphans(settings.data_dir / 'run', self.key)
        self.orphans.sweep()
        init_schema(self.repo.engine)
        self.lifecycle = Lifecycle(self.repo, self.bus, self.repo.max_event_id() + 1, on_move=self._on_move,
                                   allowed_dirs=lambda: self.allowed_dirs)
        self.plugin_kinds, self.plugin_problems = load_plugins(settings.plugins_dir, self.kinds)
        ENGINES[self.key] = self
        recovered = recover(self.repo, self.lifecycle, self.kinds)
        self.recovery_problems = recovered.problems
        for job in recovered.jobs:
            self._track(job)
        self.recorder.start(self.lifecycle.event, self.bus.publish_state)
        self.sampler.start()
        self.scheduler.start()
        self.calendar.start()
        self.scheduler.add_job('progress_app.runtime.maintenance:purge', 'interval', args=[self.key], hours=1,
                               id='retention', next_run_time=datetime.now(UTC) + timedelta(seconds=30))
        prefs = effective(settings, self.repo.get_settings())
        self.dispatcher.set_limit(prefs.workers)
        self.allowed_dirs = allowed_folders(settings, prefs)
        for job in sorted(recovered.jobs, key=lambda j: j.id):
            if job.status is Status.QUEUED:
                self.dispatcher.enqueue(job.id, job.priority)
            elif job.status is Status.SCHEDULED:
                self.deferred.arm(job)
        self.dispatcher.open()
        self.started = True
        if recovered.interrupted:
            log.info('resuming %d interrupted job(s): %s', len(recovered.interrupted), recovered.interrupted)

    def stop(self, timeout: float = 10.0) -> None:
        """Stop taking work, interrupt running jobs (they resume on the next start) and flush everything.

        Jobs get `timeout` seconds to reach a check point. The thread of one that does not (stuck in a sleep or a
        blocking call) cannot be stopped: the job is recorded as interrupted (cancelled, if it was being
        cancelled) and its thread abandoned; it is a daemon thread, so it does not keep the process alive.
        """
        if not self.started:
            return
        self.started = False
        self.dispatcher.close()
        # Taken by a serving loop (maybe not started yet: it then stays queued) or running in a worker.
        taken = self.dispatcher.busy()
        busy = [job for job in list(self.jobs.values()) if job.in_worker or job.id in taken]
        for job in busy:
            job.request_stop(interrupt_requested=True)
            if job.process is not None:
                process.terminate_group(job.process)
        deadline = time.monotonic() + timeout
        while (self.dispatcher.busy() or any(job.in_worker for job in busy)) and time.monotonic() < deadline:
            time.sleep(0.01)
        for job in busy:
            if job.in_worker:
                self.runner.abandon(job)
        self.calendar.shutdown(wait=False)
        self.scheduler.shutdown(wait=False)
        self.sampler.stop()
        self.recorder.stop()
        ENGINES.pop(self.key, None)
        self.repo.engine.dispose()

    def live(self, job_id: int) -> Job | None:
        return self.jobs.get(job_id) or self.recent.get(job_id)

    def _track(self, job: Job) -> None:
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
        self.recorder.forget(job_id)

    def _on_move(self, job: Job) -> None:
        self._track(job)
        self.deferred.on_move(job)
        self.notifier.on_move(job)
