"""Where to cut a video into segments that are encoded apart and joined again, and how to tell a good segment.

A long encode in segments goes on at the next unfinished segment after a crash, and runs a few segments side by
side. The joined result must hold every frame of the input exactly once, at its own time, so cuts are placed on
the frames' own timestamps (read from the input's packets, `parse_frame_times`), never on a frame rate:

* a cut falls halfway between two frames, so a frame is never *on* a cut, and the rounding of a timestamp to a
  time base cannot put it in both neighbours or in neither, at a constant frame rate or a variable one;
* a segment is the frames in [start, end) (ffmpeg's `trim` filter on the input's own timestamps), and its
  timestamps start at 0; the join places each segment at its first frame's original time, so the gaps of a
  variable-frame-rate input stay as they were.

Everything here is pure: times in, plan out, so the boundaries are unit-tested without ffmpeg.
"""

from __future__ import annotations

import bisect
import itertools
import re
from collections.abc import Sequence
from dataclasses import astuple, dataclass

SEGMENTS_AIMED = 16
"""A video is cut into about this many segments: a crash loses the segments in flight, a few sixteenths of the
work at most (a kill at 60 % leaves well under 70 % to do)..."""
MIN_SEGMENT_SECONDS = 5.0
"""...but none shorter than this: each segment starts with a keyframe (at 25 fps, 5 s is half x264's own keyframe
interval: ~1 % bigger files) and a seek (decoding from the keyframe before it: the cost of a short segment)..."""
MAX_SEGMENT_SECONDS = 60.0
"""...nor longer than this: a crash of a two-hour encode loses a minute or two of media, not eight."""
SEGMENTED_FROM_SECONDS = 60.0
"""Inputs shorter than this are encoded in one pass, as before: a restart costs little, and one ffmpeg is fastest."""
TAIL_SHARE = 0.25
"""A last segment shorter than this share of the segment length is not made: its frames go to the one before."""
_NO_PTS = -(2**63)  # AV_NOPTS_VALUE, as framecrc prints a packet without a timestamp


@dataclass(frozen=True, slots=True)
class Segment:
    index: int
    start: float | None
    """The cut before its first frame (input timestamps, seconds); None: from the beginning."""
    end: float | None
    """The cut after its last frame; None: to the end."""
    first: float
    """Timestamp of its first frame."""
    span: float
    """From its first frame's timestamp to its last frame's."""
    frames: int
    seconds: float
    """Media time it covers: to the next segment's first frame (the last: to the end of the video)."""

    def to_list(self) -> list[float | int | None]:
        """As stored in the job's checkpoint (a plan of 400 segments stays a few kilobytes)."""
        return list(astuple(self))

    @classmethod
    def from_list(cls, values: Sequence[float | int | None]) -> Segment:
        index, start, end, first, span, frames, seconds = values
        return cls(int(index), start, end, float(first), float(span), int(frames), float(seconds))  # type: ignore[arg-type]


def default_length(duration: float) -> float:
    """The segment length for a video of `duration` seconds (see SEGMENTS_AIMED)."""
    return min(MAX_SEGMENT_SECONDS, max(MIN_SEGMENT_SECONDS, duration / SEGMENTS_AIMED))


def length_for(duration: float | None, asked: float | None) -> float | None:
    """The segment length of an encode of `duration` seconds, or None for one pass: by default (`asked` None) for a
    video of SEGMENTED_FROM_SECONDS or more; with a length `asked`, when the video is longer than one (0: never)."""
    if not duration or asked == 0:
        return None
    if asked is None:
        return default_length(duration) if duration >= SEGMENTED_FROM_SECONDS else None
    return float(asked) if duration > asked else None


def plan(times: Sequence[float], length: float) -> list[Segment]:
    """Cut a video whose frames have the timestamps `times` (sorted) into segments of about `length` seconds.

    Each cut is at the first frame at or after the next multiple of `length` (from the first frame), halfway back
    to the frame before it; a last segment shorter than TAIL_SHARE of `length` is joined to the one before.
    """
    if not times:
        return []
    if length <= 0:
        raise ValueError(f'the segment length must be positive, not {length}')
    origin = times[0]
    gap = typical_gap(times)
    starts = [0]  # index of each segment's first frame
    step = 1
    while True:
        found = bisect.bisect_left(times, origin + step * length)
        step += 1
        if found >= len(times):
            break
        if found <= starts[-1]:
            continue  # a gap in the video longer than a segment: no frame in this one
        if times[found] == times[found - 1]:
            continue  # two frames on one timestamp: no cut between them
        starts.append(found)
    end_time = times[-1] + gap
    if len(starts) > 1 and end_time - times[starts[-1]] < TAIL_SHARE * length:
        starts.pop()
    segments = []
    for number, first in enumerate(starts):
        last = starts[number + 1] - 1 if number + 1 < len(starts) else len(times) - 1
        following = times[last + 1] if last + 1 < len(times) else None
        segments.append(Segment(
            index=number,
            start=None if number == 0 else (times[first - 1] + times[first]) / 2,
            end=None if following is None else (times[last] + following) / 2,
            first=times[first], span=times[last] - times[first], frames=last - first + 1,
            seconds=(following if following is not None else end_time) - times[first]))
    return segments


def typical_gap(times: Sequence[float]) -> float:
    """The median time between frames: the length of the last frame (packets carry no reliable duration)."""
    gaps = sorted(b - a for a, b in itertools.pairwise(times) if b > a)
    return gaps[len(gaps) // 2] if gaps else 0.04


def parse_frame_times(text: str) -> list[float] | None:
    """The sorted timestamps (seconds) of the video packets in `ffmpeg -copyts -i FILE -map 0:v:0 -c copy -f
    framecrc -` output; None when some packet has none (the video cannot be cut by timestamp)."""
    base = re.search(r'^#tb 0: (\d+)/(\d+)', text, re.M)
    if base is None:
        return None
    num, den = int(base[1]), int(base[2])
    stamps = []
    for line in text.splitlines():
        if not line or line.startswith('#'):
            continue
        fields = line.split(',')
        if len(fields) < 3:
            continue
        pts = int(fields[2])
        if pts == _NO_PTS:
            return None
        stamps.append(pts * num / den)
    return sorted(stamps) or None


def check(segment: Segment, times: Sequence[float] | None) -> str | None:
    """Why the encoded `segment` whose frames have the timestamps `times` (None: unreadable) is not good, or None
    when it holds its frames: the same count, over the same span within half a frame."""
    if not times:
        return 'no video frames can be read from it'
    if len(times) != segment.frames:
        return f'{len(times)} frames instead of {segment.frames}'
    span = times[-1] - times[0]
    tolerance = max(typical_gap(times) / 2, 0.002)
    if abs(span - segment.span) > tolerance:
        return f'its frames span {span:.3f} s instead of {segment.span:.3f} s'
    return None


def concat_list(segments: Sequence[Segment], names: Sequence[str]) -> str:
    """The concat demuxer's list that joins the segment files `names` (one per segment, in order), each placed at
    its first frame's original time (its `duration` reaches to the next one's first frame)."""
    lines = ['ffconcat version 1.0']
    for number, (segment, name) in enumerate(zip(segments, names, strict=True)):
        lines.append("file '" + name.replace("'", "'\\''") + "'")
        if number + 1 < len(segments):
            lines.append(f'duration {segments[number + 1].first - segment.first:.6f}')
    return '\n'.join(lines) + '\n'
