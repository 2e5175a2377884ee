"""The usage sampler: about once a second, the CPU and memory of every job in a worker (issue 17, item 7).

One pass for all of them, off the jobs' threads: the jobs' process trees (children and grandchildren, with their
CPU times and resident memory), and one read of this process's threads for the CPU time of the jobs' own threads.
Queued jobs cost nothing: only working jobs are looked at. Processes may end at any moment: they are skipped.

On Linux a tree is walked down from its leader through `/proc/<pid>/task/<tid>/children`, one `stat` file per
member, so the cost follows the jobs' processes, not the machine's (psutil's own `children()` reads every process
on the machine); elsewhere psutil walks all processes once per pass.

`tick()` runs once a second in the engine's scheduler pool; after the sample it calls `after(now)` (the stall
watch), so both share one beat.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Callable, Iterable
from pathlib import Path

import psutil

from progress_app.domain.resources import THREAD, UsageMeter
from progress_app.runtime.engine.job import Job

INTERVAL_SECONDS = 1.0
_PROC_CHILDREN = Path(f'/proc/{os.getpid()}/task/{os.getpid()}/children').exists()
_TICKS = os.sysconf('SC_CLK_TCK') if _PROC_CHILDREN else 100
_PAGE = os.sysconf('SC_PAGE_SIZE') if _PROC_CHILDREN else 4096
_GONE = (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess)


class UsageSampler:
    """Samples `live_jobs()` (the working ones) into each job's `resources`."""

    def __init__(self, live_jobs: Callable[[], Iterable[Job]],
                 after: Callable[[float], None] = lambda now: None) -> None:
        self._live_jobs, self._after = live_jobs, after
        self._meters: dict[int, UsageMeter] = {}

    def tick(self) -> None:
        """One beat: sample, then the stall watch."""
        now = time.monotonic()
        try:
            self.sample(now)
        finally:  # a failed sample must not stop the stall watch
            self._after(now)

    def sample(self, now: float) -> None:
        jobs = [job for job in list(self._live_jobs()) if job.in_worker]
        for job_id in set(self._meters) - {job.id for job in jobs}:
            del self._meters[job_id]
        if not jobs:
            return
        # every child the job runs (a segmented video runs several side by side), each with its own tree
        roots = {job.id: [popen.pid for popen in job.processes] for job in jobs if job.processes}
        trees = ({job_id: _proc_tree(leaders) for job_id, leaders in roots.items()} if _PROC_CHILDREN
                 else _trees(roots) if roots else {})
        threads = _thread_times() if any(job.thread_id is not None for job in jobs) else {}
        for job in jobs:
            meter = self._meters.get(job.id)
            if meter is None:
                before = job.resources
                meter = self._meters[job.id] = UsageMeter(
                    cpu_seconds=(before.cpu_seconds or 0.0) if before else 0.0,
                    peak_rss_bytes=before.peak_rss_bytes if before else None)
            cpu, rss = trees.get(job.id, ({}, None))
            thread, start = job.thread_id, job.thread_cpu_start  # the runner sets the start first, then the id
            if thread is not None and thread in threads:
                cpu = {**cpu, THREAD: threads[thread]}
            job.resources = meter.sample(now, cpu, rss, start or 0.0)


def _trees(roots: dict[int, list[int]]) -> dict[int, tuple[dict[int, float], int]]:
    """Per job (id -> its children's pids): the CPU seconds of each process of its tree and their summed memory."""
    children: dict[int, list[int]] = {}
    cpu: dict[int, float] = {}
    for proc in psutil.process_iter(['ppid', 'cpu_times']):
        info = proc.info
        if info['ppid'] is not None and info['cpu_times'] is not None:
            children.setdefault(info['ppid'], []).append(proc.pid)
            times = info['cpu_times']
            cpu[proc.pid] = times.user + times.system
    trees = {}
    for job_id, leaders in roots.items():
        members, todo = {}, list(leaders)
        while todo:
            pid = todo.pop()
            if pid in cpu and pid not in members:
                members[pid] = cpu[pid]
                todo.extend(children.get(pid, ()))
        rss = 0
        for pid in members:
            with contextlib.suppress(*_GONE):
                rss += psutil.Process(pid).memory_info().rss
        trees[job_id] = (members, rss)
    return trees


def _proc_tree(leaders: list[int]) -> tuple[dict[int, float], int]:
    """Linux: the CPU seconds of each process of the trees under `leaders` and their summed resident memory."""
    members: dict[int, float] = {}
    rss, todo = 0, list(leaders)
    while todo:
        pid = todo.pop()
        if pid in members:
            continue
        try:
            # after the command name (which may hold spaces or ')'): state, ppid, … utime (14), stime (15), rss (24)
            fields = Path(f'/proc/{pid}/stat').read_bytes().rsplit(b')', 1)[1].split()
            members[pid] = (int(fields[11]) + int(fields[12])) / _TICKS
            rss += int(fields[21]) * _PAGE
            for task in os.listdir(f'/proc/{pid}/task'):
                todo.extend(int(child) for child in Path(f'/proc/{pid}/task/{task}/children').read_bytes().split())
        except (FileNotFoundError, ProcessLookupError):  # it ended meanwhile
            continue
    return members, rss


def _thread_times() -> dict[int, float]:
    """CPU seconds of each thread of this process, by native thread id."""
    with contextlib.suppress(*_GONE):
        return {t.id: t.user_time + t.system_time for t in psutil.Process().threads()}
    return {}
