"""Job kinds for the executor tests. Not imported by the tests: copied into a data dir's plugins/ folder
(`KINDS`), so the app loads them as a plugin and ships them to the Dask workers, as it does a user's plugin."""

from __future__ import annotations

import os
import time
from pathlib import Path

from progress_app import JobContext, job_kind
from progress_app.errors import JobFailed


@job_kind('x_steps', title='Steps (executor test)')
def steps(ctx: JobContext, steps: int = 5, hold_at: int = -1, gate: str = '') -> dict:
    """Track `steps` items; at item `hold_at`, wait (at check points) until the file `gate` exists."""
    ctx.log(f'running in pid {os.getpid()}')
    done = []
    for i in ctx.track(range(steps), unit='steps'):
        if i == hold_at:
            ctx.message(f'holding in pid {os.getpid()}')
            while not Path(gate).exists():
                ctx.check()
                time.sleep(0.01)
        done.append(i)
    return {'pid': os.getpid(), 'done': done}


@job_kind('x_fail', title='Fail (executor test)')
def fail(ctx: JobContext) -> None:
    ctx.message('about to fail')
    1 / 0  # noqa: B018


@job_kind('x_refuse', title='Refuse (executor test)')
def refuse(ctx: JobContext) -> None:
    raise JobFailed('the input is not a video', details='ffprobe: invalid data found')


@job_kind('x_child', title='Child process (executor test)')
def child(ctx: JobContext, seconds: float = 60) -> int:
    """A child process that sleeps; its pid in the message (pause and cancel must reach it on the worker)."""
    return ctx.run_process(['sh', '-c', f'echo child $$ of {os.getpid()}; exec sleep {seconds}'],
                           on_line=lambda line, stream: ctx.message(line))

