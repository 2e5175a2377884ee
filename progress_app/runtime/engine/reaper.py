"""The reaper: a tiny process that kills every job's process group when the app dies, however it dies (SIGKILL too).

Why this design. The parent-death signal (`PR_SET_PDEATHSIG`) reaches only a job's direct child, so a shell's
background children (`sleep 1003 & sleep 1004`) lived on with PPID 1. One reaper per app process fixes that:

- The app holds the write end of a pipe whose read end is the reaper's stdin. When the app dies the kernel closes
  the write end, the reaper reads EOF and kills every job's process group it was told about: SIGTERM (and SIGCONT,
  in case the job was paused), then SIGKILL what is left after `GRACE_SECONDS`. No polling of the app, no signal
  that could be missed, and it works for a paused job, since the reaper is outside every job's process group (in
  a session of its own), so pausing a job (SIGSTOP of its group) never stops the reaper.
- A job's child is still the app's direct child, leading its own process group: pause, cancel, output pipes and
  exit codes (death by a signal included) are exactly what they were, and nothing is started per job. A
  supervisor per job would cost a process start per job and would have to relay output and exit status; a
  subreaper (`PR_SET_CHILD_SUBREAPER`) would have to be that supervisor anyway, since it dies with the app too.
- It runs as a plain script (`python -I -S reaper.py`, standard library only): ~15 ms to start, once per app.

The app tells it about each group with one JSON line `[pgid, marker, record]` on the pipe; it forgets a group
once the group is gone (and deletes the group's record file, see orphans.py). Before signalling a group it checks
that a member still carries the job's marker (`PROGRESS_APP_JOB=<marker>` in its environment), so a group number
the system has since given to an unrelated process is never killed. orphans.py uses the same functions for the
start-up sweep of groups a previous run recorded.
"""

from __future__ import annotations

import contextlib
import json
import os
import select
import signal
import time
from collections.abc import Iterable

MARKER_VAR = 'PROGRESS_APP_JOB'
"""Set in a job's child processes to `<app key>:<job id>`; how a leftover group is recognised as a job's."""
GRACE_SECONDS = 2.0
"""How long SIGTERMed groups get to exit before they are SIGKILLed."""
_PRUNE_SECONDS = 1.0  # how often groups that ended are forgotten (and their record files deleted)


def alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's group now: alive, but never ours (is_ours reads no foreign environ)
        return True
    return True


def members(pgids: Iterable[int]) -> dict[int, list[int]]:
    """The live (not zombie) processes of each group, from /proc."""
    wanted = set(pgids)
    found: dict[int, list[int]] = {pgid: [] for pgid in wanted}
    for name in os.listdir('/proc'):
        if not name.isdigit():
            continue
        try:
            with open(f'/proc/{name}/stat', 'rb') as f:
                stat = f.read()
        except OSError:
            continue
        state, _ppid, pgrp = stat[stat.rindex(b')') + 2:].split(b' ', 3)[:3]
        if int(pgrp) in wanted and state != b'Z':
            found[int(pgrp)].append(int(name))
    return found


def carries(pid: int, marker: str) -> bool:
    entry = f'{MARKER_VAR}={marker}'.encode()
    try:
        with open(f'/proc/{pid}/environ', 'rb') as f:
            return entry in f.read().split(b'\0')
    except OSError:
        return False


def ours(groups: dict[int, str]) -> list[int]:
    """The groups (pgid → marker) that still have a member carrying their marker."""
    if not groups:
        return []
    found = members(groups)
    return [pgid for pgid, marker in groups.items() if any(carries(pid, marker) for pid in found[pgid])]


def kill_groups(groups: dict[int, str], grace: float = GRACE_SECONDS) -> list[int]:
    """SIGTERM (then SIGCONT) every group of `groups` (pgid → marker) that is still ours; SIGKILL what is left of
    them after `grace` seconds. Returns the groups it signalled."""
    targets = ours(groups)
    if not targets:
        return []
    for pgid in targets:
        for sig in (signal.SIGTERM, signal.SIGCONT):
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(pgid, sig)
    # Waits on live members, not on killpg(0): a group whose members are all zombies is done, even if their
    # parent (not necessarily init) has not collected them yet.
    deadline = time.monotonic() + grace
    left = members(targets)
    while any(left.values()) and time.monotonic() < deadline:
        time.sleep(0.05)
        left = members(targets)
    for pgid, pids in left.items():
        if pids:  # ours a moment ago: a group number is not reused while the group has a member
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(pgid, signal.SIGKILL)
    return targets


def _remove(path: str) -> None:
    with contextlib.suppress(OSError):
        os.unlink(path)


def main() -> None:
    groups: dict[int, tuple[str, str]] = {}  # pgid → (marker, record file)
    pending = b''
    while True:
        ready, _, _ = select.select([0], [], [], _PRUNE_SECONDS)
        if ready:
            chunk = os.read(0, 65536)
            if not chunk:
                break
            *lines, pending = (pending + chunk).split(b'\n')
            for line in lines:
                pgid, marker, record = json.loads(line)
                groups[pgid] = (marker, record)
        for pgid in [pgid for pgid in groups if not alive(pgid)]:
            _remove(groups.pop(pgid)[1])
    # The app is gone: nothing of its jobs may outlive it.
    kill_groups({pgid: marker for pgid, (marker, _) in groups.items()})
    for _, record in groups.values():
        _remove(record)


if __name__ == '__main__':
    main()
