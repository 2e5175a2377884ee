"""No process of a job outlives the app, and none of an earlier run outlives the next start.

Two lines of defence. First, each app process has one reaper (see reaper.py for the design and why): when the
app dies, however it dies, the reaper kills the process group of every job child that was still running. Second,
each job's process group is recorded as a file `<data dir>/run/<pgid>.<job id>` (holding the job's marker) while
it runs, so that if the reaper died with the app (killed along with it, say), the next start kills what is left
before it runs those jobs again. A record is deleted once its group has ended (by the reaper, which notices).
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import sys
import threading
from pathlib import Path

from progress_app.runtime.engine import reaper

log = logging.getLogger(__name__)
LINUX = sys.platform.startswith('linux')  # the reaper reads /proc


class Orphans:
    """The process groups of one app's jobs (one data dir): marked, recorded, reaped; leftovers swept at start."""

    def __init__(self, run_dir: Path, key: str) -> None:
        self.run_dir = run_dir
        self.key = key
        """The app's key (stable across restarts): a job's marker is `<key>:<job id>`."""

    def environment(self, job_id: int, env: dict[str, str] | None) -> dict[str, str]:
        """`env` (None: the app's own environment) with the job's marker added."""
        return {**(os.environ if env is None else env), reaper.MARKER_VAR: f'{self.key}:{job_id}'}

    def watch(self, pgid: int, job_id: int) -> None:
        """Record a job child's new process group and hand it to the reaper."""
        marker = f'{self.key}:{job_id}'
        record = self.run_dir / f'{pgid}.{job_id}'
        try:
            record.write_text(marker)
        except FileNotFoundError:  # the first child of this data dir
            self.run_dir.mkdir(parents=True, exist_ok=True)
            record.write_text(marker)
        if LINUX:
            LIFELINE.watch(pgid, marker, record)

    def sweep(self) -> list[int]:
        """Kill the job process groups an earlier run recorded that still run (theirs by the marker; a group number
        reused by an unrelated process is left alone) and delete the records. Returns the groups it killed."""
        if not (LINUX and self.run_dir.is_dir()):
            return []
        records: dict[int, str] = {}
        paths = list(self.run_dir.iterdir())
        for path in paths:
            with contextlib.suppress(ValueError, OSError):
                records[int(path.name.split('.', 1)[0])] = path.read_text().strip()
        killed = reaper.kill_groups(records) if records else []
        for path in paths:
            path.unlink(missing_ok=True)
        if killed:
            log.warning('killed %d process group(s) of jobs an earlier run left running: %s', len(killed), killed)
        return killed


class _Lifeline:
    """The pipe to this process's reaper: started on first use, and again if it died (all live groups resent)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pid = 0
        self._fd = -1
        self._groups: dict[int, bytes] = {}  # pgid → its line, for a new reaper

    def forget(self) -> None:
        """In a child forked without exec: holding the write end, it would keep the reaper from seeing the app die.
        The child starts afresh (the lock too: another thread may have held it at the fork)."""
        if self._fd >= 0:
            os.close(self._fd)
        self._lock, self._pid, self._fd, self._groups = threading.Lock(), 0, -1, {}

    def watch(self, pgid: int, marker: str, record: Path) -> None:
        line = json.dumps([pgid, marker, os.path.abspath(record)]).encode() + b'\n'
        with self._lock:
            self._groups = {known: text for known, text in self._groups.items() if reaper.alive(known)}
            self._groups[pgid] = line
            if self._fd >= 0:
                try:
                    os.write(self._fd, line)  # a pipe takes a write this short whole
                    return
                except BrokenPipeError:  # the reaper died (killed by someone): start another
                    pass
            self._start()

    def _start(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)
            with contextlib.suppress(ChildProcessError):
                os.waitpid(self._pid, 0)
        read, self._fd = os.pipe()  # both close on exec: only the reaper (as its stdin) and this process hold one
        try:
            # posix_spawn (vfork) costs the big app process far less than fork; setsid: outside every job's group
            # and the terminal's, so neither pausing a job nor Ctrl+C stops it before it has done its work.
            self._pid = os.posix_spawn(sys.executable, [sys.executable, '-I', '-S', reaper.__file__], os.environ,
                                       file_actions=[(os.POSIX_SPAWN_DUP2, read, 0),
                                                     (os.POSIX_SPAWN_OPEN, 1, os.devnull, os.O_WRONLY, 0),
                                                     (os.POSIX_SPAWN_DUP2, 1, 2)], setsid=True)
        finally:
            os.close(read)
        os.write(self._fd, b''.join(self._groups.values()))


LIFELINE = _Lifeline()
"""One per process, as the pipe is: the kernel closes it when this process dies, whatever engines it runs."""
os.register_at_fork(after_in_child=LIFELINE.forget)
