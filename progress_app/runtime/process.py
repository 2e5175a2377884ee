"""Child processes of jobs: own process group (so pause/cancel reach grandchildren), die with the app on Linux,
and output read line by line from stdout and stderr, where a carriage return also ends a line (tqdm, ffmpeg)."""

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
from collections.abc import Callable, Sequence

KILL_GRACE_SECONDS = 3.0
_PR_SET_PDEATHSIG = 1
_libc = ctypes.CDLL(ctypes.util.find_library('c'), use_errno=True) if sys.platform.startswith('linux') else None


def _die_with_parent() -> None:  # runs in the child between fork and exec
    if _libc is not None:
        _libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)


def spawn(args: str | Sequence[str], *, shell: bool, cwd: str | None, env: dict[str, str] | None
          ) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        args, shell=shell, cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, start_new_session=True, preexec_fn=_die_with_parent)


def pump_lines(popen: subprocess.Popen[bytes], on_line: Callable[[str, str], None]) -> None:
    """Call `on_line(text, stream)` for each line of stdout ('out') and stderr ('err') until both close."""
    assert popen.stdout is not None and popen.stderr is not None
    sel = selectors.DefaultSelector()
    buffers: dict[str, bytearray] = {}
    for stream, name in ((popen.stdout, 'out'), (popen.stderr, 'err')):
        os.set_blocking(stream.fileno(), False)
        sel.register(stream, selectors.EVENT_READ, name)
        buffers[name] = bytearray()
    with sel:
        while sel.get_map():
            for key, _ in sel.select():
                name = key.data
                chunk = os.read(key.fd, 65536)
                buf = buffers[name]
                if not chunk:
                    sel.unregister(key.fileobj)
                    if buf:
                        on_line(buf.decode('utf-8', errors='replace'), name)
                    continue
                buf += chunk
                *lines, rest = buf.replace(b'\r\n', b'\n').replace(b'\r', b'\n').split(b'\n')
                buffers[name] = bytearray(rest)
                for line in lines:
                    if line:
                        on_line(line.decode('utf-8', errors='replace'), name)


def signal_group(pgid: int, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, sig)


def terminate_group(popen: subprocess.Popen[bytes]) -> None:
    """SIGTERM the process group (waking it if stopped), SIGKILL it if it is still there after a grace period."""
    pgid = popen.pid
    signal_group(pgid, signal.SIGTERM)
    signal_group(pgid, signal.SIGCONT)

    def kill_later() -> None:
        with contextlib.suppress(subprocess.TimeoutExpired):
            popen.wait(KILL_GRACE_SECONDS)
        signal_group(pgid, signal.SIGKILL)  # also reaches grandchildren that outlived the leader

    threading.Thread(target=kill_later, name=f'kill-{pgid}', daemon=True).start()
