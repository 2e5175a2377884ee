"""A long encode in segments: it goes on at the next unfinished segment after a crash, and uses several cores.

    work = prepare(ctx, 'film.mov', target, recipe, audio='aac', length=20)  # None: encode in one pass instead
    stats = run(ctx, work)                                                  # the segments, the audio, the join

`prepare` reads the input's frame timestamps and plans the cuts (`segments.plan`); the plan goes into the job's
checkpoint with the segments done so far, so a restart, a crash or a retry reads it back and encodes only the
rest. Each segment is written to the job's scratch folder (`ctx.scratch_dir`, never the download) under its final
name only once ffmpeg succeeded, and counts as done once its frames and their span are checked; a file that
fails the check is encoded again. The audio is written once, in its own pass (copied or AAC). The join copies
the segments (concat demuxer, `-c copy`) and muxes the audio in; then the scratch folder is deleted.

With the threads executor, PARALLEL_SEGMENTS segments run at once, each an ffmpeg child of the job (pause and
cancel reach all of them), and the progress adds them up: the finished segments' media time plus each running
one's. On a Dask executor the segments are `ctx.map` items spread over the cluster's workers; there progress
counts segments as they finish (a detached item's own progress is dropped); a cancel ends the ffmpeg of every
segment running on a worker (runtime/executor/item_control.py), and a pause starts no new segment and lets those
running finish (at most a segment's length, 60 s) before the job shows as paused.
"""

from __future__ import annotations

import os
import shutil
import threading
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from progress_app import item_context
from progress_app.kinds.ffmpeg import segments
from progress_app.kinds.ffmpeg.arguments import audio_args, join_args, segment_args
from progress_app.kinds.ffmpeg.probing import MediaError, clock, executable
from progress_app.kinds.ffmpeg.running import EncodeProgress, EncodeStats, encode
from progress_app.kinds.ffmpeg.segments import Segment

if TYPE_CHECKING:
    from progress_app.runtime.engine.context import JobContext

PARALLEL_SEGMENTS = min(4, max(2, (os.cpu_count() or 2) // 4))
"""Segment encodes run at once in one job (threads executor). x264/x265/libvpx are multi-threaded themselves, so
this is not one per core: two keep a small machine's cores busy through each encoder's serial moments (start-up,
lookahead, the end of a segment); a big machine gets up to four."""
SEEK_MARGIN_SECONDS = 1.0
"""A segment's encode seeks this much before its first frame: a seek lands on a keyframe at or before the target,
and the exact cut is the `trim` filter's; the margin covers a file whose start time is not its first frame's."""
POLL_SECONDS = 0.2
"""How often the job looks in (pause, cancel) while its segments encode."""
CONTAINERS = ('.mp4', '.m4v', '.mov', '.mkv', '.webm')
"""Outputs a segmented encode writes: the containers that take every codec's segments by stream copy."""
KEY = 'video_segments'
"""The job's checkpoint: {KEY: record} (see `Work.record`)."""


class SegmentFailed(MediaError):
    """An encoded segment does not hold its frames (a bug or a damaged input): the job fails, saying which."""


@dataclass
class Work:
    """A planned segmented encode: what `run` needs, and the record kept in the job's checkpoint."""

    source: str
    target: Path
    folder: Path
    recipe: dict[str, Any]
    """What shapes each segment (codec, quality, filters): a plan made for another recipe is not reused."""
    audio: str | None
    """'copy' or 'aac': the audio pass; None: no audio."""
    plan: list[Segment]
    done: set[int]
    audio_done: bool
    fingerprint: list[int]

    def record(self) -> dict[str, Any]:
        return {KEY: {'source': self.source, 'fingerprint': self.fingerprint, 'recipe': self.recipe,
                      'plan': [s.to_list() for s in self.plan], 'done': sorted(self.done),
                      'audio_done': self.audio_done}}

    def path(self, segment: Segment) -> Path:
        return self.folder / f'{segment.index:05d}.mp4'

    @property
    def audio_path(self) -> Path:
        return self.folder / 'audio.mkv'

    @property
    def seconds(self) -> float:
        return sum(s.seconds for s in self.plan)


def prepare(ctx: JobContext, source: str, target: Path, recipe: dict[str, Any], *, audio: str | None,
            length: float) -> Work | None:
    """Plan the segmented encode of `source` (or take up the one in the job's checkpoint); None when the input
    cannot be cut by timestamps or makes fewer than two segments (encode it in one pass then)."""
    stat = Path(source).stat()
    fingerprint = [stat.st_size, stat.st_mtime_ns]
    recipe = {**recipe, 'length': length}
    folder = ctx.scratch_dir / 'segments'
    kept = (ctx.resume_state or {}).get(KEY) if isinstance(ctx.resume_state, dict) else None
    if kept and kept['source'] == source and kept['fingerprint'] == fingerprint and kept['recipe'] == recipe:
        work = Work(source, target, folder, recipe, audio, [Segment.from_list(s) for s in kept['plan']],
                    set(kept['done']), bool(kept['audio_done']), fingerprint)
    else:
        shutil.rmtree(folder, ignore_errors=True)  # another input or recipe: nothing there is of use
        times = frame_times(ctx, source)
        plan = segments.plan(times, length) if times else []
        if len(plan) < 2:
            return None
        work = Work(source, target, folder, recipe, audio, plan, set(), False, fingerprint)
    folder.mkdir(parents=True, exist_ok=True)
    ctx.checkpoint(work.record())
    return work


def frame_times(ctx: JobContext, path: str | Path) -> list[float] | None:
    """The timestamps of the video frames of `path` (from its packets: nothing is decoded), or None. A child process
    of the job like its encodes: paused and ended with it."""
    lines: list[str] = []
    code = ctx.run_process([executable(), '-hide_banner', '-nostdin', '-loglevel', 'error', '-copyts', '-i', str(path),
                            '-map', '0:v:0', '-c', 'copy', '-f', 'framecrc', '-'],
                           on_line=lambda line, stream: lines.append(line) if stream == 'out' else None,
                           log_output=False)
    return segments.parse_frame_times('\n'.join(lines)) if code == 0 else None


def run(ctx: JobContext, work: Work) -> EncodeStats:
    """Encode the segments not done yet and the audio, then join them into `work.target`."""
    started = time.monotonic()
    total = work.seconds
    ctx.set_total(total, 'seconds')
    ctx.set_current(sum(s.seconds for s in work.plan if s.index in work.done))  # the bar goes on where it was
    if work.done:
        ctx.message(f'checking the {len(work.done)} segments done')
    for leftover in work.folder.glob('.*.partial.*'):  # what a killed ffmpeg was writing
        leftover.unlink(missing_ok=True)
    for segment in work.plan:  # finished, recorded or not (killed before its checkpoint): taken if it checks out
        path = work.path(segment)
        if path.exists() and segments.check(segment, frame_times(ctx, path)) is None:
            work.done.add(segment.index)
        else:
            work.done.discard(segment.index)
            path.unlink(missing_ok=True)
    work.audio_done = work.audio_done and work.audio_path.exists()
    ctx.checkpoint(work.record())
    todo = [s for s in work.plan if s.index not in work.done]
    done_before = sum(s.seconds for s in work.plan if s.index in work.done)
    if work.done:
        origin = work.plan[0].first
        at = clock(todo[0].first - origin) if todo else clock(total)
        ctx.log(f'[video] resuming at {at}, {len(work.done)} of {len(work.plan)} segments done')
    else:
        ctx.log(f'[video] encoding in {len(work.plan)} segments of about {work.recipe["length"]:g} s')
    ctx.set_current(done_before)
    if ctx.distributed:
        _run_mapped(ctx, work, todo)
    else:
        _run_here(ctx, work, todo, Tally(ctx, work, done_before))
    ctx.message(f'joining {len(work.plan)} segments')
    _join(ctx, work)
    seconds = time.monotonic() - started
    encoded = total - done_before
    return EncodeStats(seconds=seconds, media_seconds=total, speed=encoded / seconds if seconds > 0 else None,
                       frames=sum(s.frames for s in work.plan))


def discard(ctx: JobContext) -> None:
    """Delete the job's scratch files (done, or cancelled: nothing there will be taken up again)."""
    shutil.rmtree(ctx.scratch_dir, ignore_errors=True)


def encode_segment(item: dict[str, Any]) -> dict[str, Any]:
    """A `ctx.map` item (on a Dask worker): encode one segment and check it."""
    return _encode_one(item_context(), item, None)  # type: ignore[arg-type]


def _encode_one(ctx: JobContext, item: dict[str, Any], on_progress: Callable[[EncodeProgress], None] | None
                ) -> dict[str, Any]:
    segment = Segment.from_list(item['segment'])
    # Quiet: one line per segment in the log (its command), then only its warnings; hundreds of segments'
    # banners would say nothing.
    stats = encode(ctx, item['args'], on_progress=on_progress or _ignore, quiet=True)
    path = Path(item['args'][-1])
    problem = segments.check(segment, frame_times(ctx, path))
    if problem is not None:
        path.unlink(missing_ok=True)
        raise SegmentFailed(f'segment {segment.index + 1} ({clock(segment.first)}, {segment.frames} frames) came '
                            f'out wrong: {problem}')
    return {'seconds': round(stats.seconds, 3)}


def _item(work: Work, segment: Segment) -> dict[str, Any]:
    recipe = {k: v for k, v in work.recipe.items() if k != 'length'}
    seek = max(0.0, (segment.start or 0.0) - work.plan[0].first - SEEK_MARGIN_SECONDS)
    args = segment_args(work.source, work.path(segment), start=segment.start, end=segment.end, seek=seek, **recipe)
    return {'segment': segment.to_list(), 'args': args}


def _audio(ctx: JobContext, work: Work) -> None:
    if work.audio is None or work.audio_done:
        return
    encode(ctx, audio_args(work.source, work.audio_path, work.audio), on_progress=_ignore, quiet=True)


class Tally:
    """The job's progress while segments encode side by side: finished segments' media time plus each running
    one's `out_time` (never more than its own length), and a message saying how many are done."""

    def __init__(self, ctx: JobContext, work: Work, done: float) -> None:
        self._ctx, self._work = ctx, work
        self._lock = threading.Lock()
        self._done = done
        self._running: dict[int, float] = {}
        self._shown = done

    def update(self, segment: Segment, seconds: float) -> None:
        with self._lock:
            self._running[segment.index] = min(seconds, segment.seconds)
            self._show()

    def finish(self, segment: Segment) -> None:
        with self._lock:
            self._running.pop(segment.index, None)
            self._done += segment.seconds
            self._show()

    def _show(self) -> None:
        work = self._work
        current = min(self._done + sum(self._running.values()), work.seconds)
        self._shown = max(self._shown, current)  # a segment's end can read a hair below its out_time
        self._ctx.set_current(self._shown)
        running = f' · {len(self._running)} encoding' if self._running else ''
        self._ctx.message(f'{len(work.done)} of {len(work.plan)} segments{running} · {clock(self._shown)} of '
                          f'{clock(work.seconds)}')


def _run_here(ctx: JobContext, work: Work, todo: list[Segment], tally: Tally) -> None:
    """The audio and `todo` in this process, up to PARALLEL_SEGMENTS at once; pause holds back new segments (the
    running ones are stopped by the engine), cancel ends them all."""
    tasks: deque[tuple[Segment | None, Callable[[], Any]]] = deque()
    if work.audio is not None and not work.audio_done:
        tasks.append((None, lambda: _audio(ctx, work)))
    for segment in todo:
        item = _item(work, segment)
        tasks.append((segment, lambda item=item, segment=segment: _encode_one(
            ctx, item, lambda update, segment=segment: tally.update(segment, update.out_seconds))))
    running: dict[Future[Any], Segment | None] = {}
    with ThreadPoolExecutor(max_workers=PARALLEL_SEGMENTS, thread_name_prefix=f'job{ctx.job_id}-segment') as pool:
        try:
            while tasks or running:
                while tasks and len(running) < PARALLEL_SEGMENTS and not ctx.stop_requested:
                    segment, task = tasks.popleft()
                    running[pool.submit(task)] = segment
                if not running:
                    ctx.check()  # paused between segments: waits here; cancelled: raises
                    continue
                finished, _ = wait(list(running), timeout=POLL_SECONDS, return_when=FIRST_COMPLETED)
                for future in finished:
                    segment = running.pop(future)
                    future.result()  # a segment's failure is the job's
                    _finished(ctx, work, segment)
                    if segment is not None:
                        tally.finish(segment)
                if ctx.cancelled:
                    ctx.check()
        except BaseException:
            tasks.clear()  # the running ones end with the job's processes (cancel), or at their own end (failure)
            raise


def _run_mapped(ctx: JobContext, work: Work, todo: list[Segment]) -> None:
    """The audio here, the segments as `ctx.map` items over the cluster's workers."""
    _audio(ctx, work)
    _finished(ctx, work, None)
    ctx.map(encode_segment, [_item(work, s) for s in work.plan], sizes=[s.seconds for s in work.plan],
            done={s.index: {} for s in work.plan if s.index in work.done},
            on_result=lambda index, result: _finished(ctx, work, work.plan[index]))


def _finished(ctx: JobContext, work: Work, segment: Segment | None) -> None:
    if segment is None:
        work.audio_done = work.audio is not None
    else:
        work.done.add(segment.index)
    ctx.checkpoint(work.record())


def _join(ctx: JobContext, work: Work) -> None:
    listing = work.folder / 'segments.ffconcat'
    listing.write_text(segments.concat_list(work.plan, [work.path(s).name for s in work.plan]))
    audio = work.audio_path if work.audio is not None else None
    encode(ctx, join_args(listing, audio, work.target, work.recipe['codec']), on_progress=_ignore)


def _ignore(update: EncodeProgress) -> None:
    """Progress reported otherwise (the audio counts for nothing; the join keeps the bar full)."""
