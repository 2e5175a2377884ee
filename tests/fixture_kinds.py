"""Job kinds used by tests. Copied into a data dir's plugins/ folder, so the real app loads them as plugins."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

from pydantic import Field

from progress_app import JobContext, job_kind


@job_kind('t_write_files', title='Write files (test)')
def write_files(ctx: JobContext, count: Annotated[int, Field(ge=0, le=100)] = 1, size: int = 100) -> dict:
    """Write `count` files of `size` bytes into the job's output folder."""
    for i in ctx.track(range(count), unit='files'):
        (ctx.output_dir / f'part-{i}.txt').write_bytes(bytes([65 + i % 26]) * size)
    return {'files': count}


@job_kind('t_tick', title='Tick (test)', stages={'one': 1, 'two': 1})
def tick(ctx: JobContext, ticks: Annotated[int, Field(ge=1)] = 100, seconds: float = 0.01) -> dict:
    """Advance one unit per tick in each of two stages."""
    for name in ('one', 'two'):
        with ctx.stage(name):
            ctx.set_total(ticks, 'ticks')
            for _ in range(ticks):
                ctx.check()
                time.sleep(seconds)
                ctx.advance()
    return {'ticks': ticks}


@job_kind('t_subscribers', title='Count stream subscribers (test)')
def subscribers(ctx: JobContext) -> int:
    """How many subscriptions the app's event bus has open (to see that closed clients' are gone)."""
    import gc

    from progress_app.runtime.live.bus import EventBus

    # Found by looking: a job is not handed the app's bus (nor should it be), and this is a test's peek.
    return sum(len(bus._subscribers) for bus in gc.get_objects() if isinstance(bus, EventBus))


@job_kind('t_stuck', title='Stuck (test)')
def stuck(ctx: JobContext, release: str = '') -> str:
    """Block in time.sleep, never reaching a check point, until the file `release` exists (none: for ever)."""
    ctx.message('sleeping')
    while not (release and Path(release).exists()):
        time.sleep(0.02)
    return 'woke up'


@job_kind('t_spin', title='Spin (test)')
def spin(ctx: JobContext, release: str = '') -> str:
    """Compute in its own thread (checking in) until the file `release` exists."""
    n = 0
    while not Path(release).exists():
        ctx.check()
        for i in range(20_000):
            n += i
    return 'spun'


def install(plugins_dir: Path) -> None:
    plugins_dir.mkdir(parents=True, exist_ok=True)
    (plugins_dir / 'fixture_kinds.py').write_text(Path(__file__).read_text())
