"""Child processes of jobs: own process group (so pause/cancel reach grandchildren), die with the app on Linux
(the direct child by the parent-death signal, the rest of its group by the reaper: see orphans.py), and output
read line by line from stdout and stderr, where a carriage return also ends a line (tqdm, ffmpeg)."""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import os
import selectors
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from progress_app.runtime.engine.orphans import Orphans

KILL_GRACE_SECONDS = 3.0
"""How long a terminated process group gets to exit on SIGTERM before it is SIGKILLed."""
LEFTOVER_GRACE_SECONDS = 1.0
"""How long output is still read after the process exited while something it started in the background holds
its stdout/stderr open (`sh -c 'daemon & echo started'`). Then reading stops and those leftovers are terminated,
so a job never hangs on a process it did not wait for."""
PARTIAL_LINE_SECONDS = 0.2
"""Unfinished output that stays unfinished this long is passed on as a line: a bar redrawn with a leading `\\r`
(`\\r 42%|████  |`) is complete long before the next redraw ends it, and must show now, not one update late."""
MAX_LINE_BYTES = 1 << 20
"""Output without a line end (binary, a runaway line) is passed on in pieces of this size, never buffered whole."""
_POLL_SECONDS = 0.1
_PR_SET_PDEATHSIG = 1
_libc = ctypes.CDLL(ctypes.util.find_library('c'), use_errno=True) if sys.platform.startswith('linux') else None


def _die_with(parent: int) -> Callable[[], None]:
    def die_with_parent() -> None:  # runs in the child between fork and exec
        if _libc is not None:
            _libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
            if os.getppid() != parent:  # the parent died before prctl took effect
                os.kill(os.getpid(), signal.SIGKILL)

    return die_with_parent


def spawn(args: str | Sequence[str], *, shell: bool, cwd: str | None, env: dict[str, str] | None,
          orphans: Orphans | None = None, job_id: int = 0) -> subprocess.Popen[bytes]:
    """Start a child in a new session (its own process group, led by it) with stdin closed and pipes for output.

    With `orphans`, the child is marked as job `job_id`'s and its process group recorded and handed to the reaper,
    so nothing of it outlives the app (see orphans.py).
    """
    if orphans is not None:
        env = orphans.environment(job_id, env)
    popen = subprocess.Popen(
        args, shell=shell, cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, start_new_session=True, preexec_fn=_die_with(os.getpid()))
    if orphans is not None:
        try:
            orphans.watch(popen.pid, job_id)
        except BaseException:  # unrecorded, it could outlive the app: it must not run at all
            terminate_group(popen)
            popen.wait()
            raise
    return popen


def pump_lines(popen: subprocess.Popen[bytes], on_line: Callable[[str, str], None]) -> None:
    """Call `on_line(text, stream)` for each line of stdout ('out') and stderr ('err') until both close.

    `\\n`, `\\r\\n` and a lone `\\r` end a line, and so does a pause of `PARTIAL_LINE_SECONDS` in the middle of
    one; blank lines are skipped. If the process exits but background processes it started keep the pipes open,
    reading stops after `LEFTOVER_GRACE_SECONDS` and the rest of its process group is terminated. The pipes are
    closed on return.
    """
    assert popen.stdout is not None and popen.stderr is not None
    streams = ((popen.stdout, 'out'), (popen.stderr, 'err'))
    buffers: dict[str, bytearray] = {}
    last_read: dict[str, float] = {}
    exited_at: float | None = None
    try:
        with selectors.DefaultSelector() as sel:
            for stream, name in streams:
                os.set_blocking(stream.fileno(), False)
                sel.register(stream, selectors.EVENT_READ, name)
                buffers[name] = bytearray()
            while sel.get_map():
                for key, _ in sel.select(_POLL_SECONDS):
                    name = key.data
                    try:
                        chunk = os.read(key.fd, 65536)
                    except BlockingIOError:
                        continue
                    if not chunk:
                        sel.unregister(key.fileobj)
                        _flush(buffers, name, on_line)
                        continue
                    _feed(buffers, name, chunk, on_line)
                    last_read[name] = time.monotonic()
                now = time.monotonic()
                for name, buf in buffers.items():
                    if buf and now - last_read[name] >= PARTIAL_LINE_SECONDS:
                        _flush(buffers, name, on_line)
                if exited_at is None:
                    if popen.poll() is not None:
                        exited_at = time.monotonic()
                elif time.monotonic() - exited_at > LEFTOVER_GRACE_SECONDS:
                    terminate_group(popen)
                    break
        for name in buffers:
            _flush(buffers, name, on_line)
    finally:
        for stream, _ in streams:
            stream.close()


def _feed(buffers: dict[str, bytearray], name: str, chunk: bytes, on_line: Callable[[str, str], None]) -> None:
    buf = buffers[name]
    buf += chunk
    *lines, rest = buf.replace(b'\r\n', b'\n').replace(b'\r', b'\n').split(b'\n')
    if len(rest) >= MAX_LINE_BYTES:
        lines.append(rest)
        rest = b''
    buffers[name] = bytearray(rest)
    for line in lines:
        if line:
            on_line(line.decode('utf-8', errors='replace'), name)


def _flush(buffers: dict[str, bytearray], name: str, on_line: Callable[[str, str], None]) -> None:
    buf = buffers[name]
    buffers[name] = bytearray()
    if buf.strip():
        on_line(buf.decode('utf-8', errors='replace'), name)


def signal_group(pgid: int, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, sig)


def signal_groups(popens: Sequence[subprocess.Popen[bytes]], sig: int) -> None:
    """Send `sig` to the process group of each of `popens` (a job's child processes: pause, resume)."""
    for popen in popens:
        signal_group(popen.pid, sig)


def terminate_groups(popens: Sequence[subprocess.Popen[bytes]]) -> None:
    """`terminate_group` for each of `popens` (a job's child processes: cancel, time limit, shutdown)."""
    for popen in popens:
        terminate_group(popen)


def group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def terminate_group(popen: subprocess.Popen[bytes]) -> None:
    """SIGTERM the whole process group (waking it if stopped); SIGKILL whatever of it is left after a grace period.

    The grace period runs for the group, not only its leader, so grandchildren get time to clean up too.
    """
    pgid = popen.pid
    signal_group(pgid, signal.SIGTERM)
    signal_group(pgid, signal.SIGCONT)

    def kill_later() -> None:
        deadline = time.monotonic() + KILL_GRACE_SECONDS
        while time.monotonic() < deadline:
            if popen.poll() is not None and not group_alive(pgid):
                return
            time.sleep(0.05)
        signal_group(pgid, signal.SIGKILL)

    threading.Thread(target=kill_later, name=f'kill-{pgid}', daemon=True).start()
