"""Planning a segmented encode (ffmpeg/segments.py): pure, no ffmpeg."""

from __future__ import annotations

import itertools

import pytest

from progress_app.kinds.ffmpeg import segments
from progress_app.kinds.ffmpeg.segments import Segment, check, concat_list, parse_frame_times, plan


def frames(count: int, rate: float = 25.0, start: float = 0.0) -> list[float]:
    return [start + n / rate for n in range(count)]


def covered(times: list[float], segment: Segment) -> list[float]:
    return [t for t in times if (segment.start is None or t >= segment.start)
            and (segment.end is None or t < segment.end)]


def assert_every_frame_once(times: list[float], planned: list[Segment]) -> None:
    pieces = [covered(times, s) for s in planned]
    assert [t for piece in pieces for t in piece] == times, 'each frame in exactly one segment, in order'
    assert [len(p) for p in pieces] == [s.frames for s in planned]
    assert [p[0] for p in pieces] == [s.first for s in planned]
    assert [p[-1] - p[0] for p in pieces] == pytest.approx([s.span for s in planned])


def test_cuts_fall_halfway_between_frames_at_each_multiple_of_the_length():
    times = frames(250)  # 10 s at 25 fps
    planned = plan(times, 4)
    assert [s.index for s in planned] == [0, 1, 2]
    assert [s.start for s in planned] == [None, pytest.approx(3.98), pytest.approx(7.98)]
    assert [s.end for s in planned] == [pytest.approx(3.98), pytest.approx(7.98), None]
    assert [s.frames for s in planned] == [100, 100, 50]
    assert sum(s.seconds for s in planned) == pytest.approx(10.0), 'the seconds add up to the whole video'
    assert_every_frame_once(times, planned)


def test_a_last_segment_shorter_than_a_quarter_joins_the_one_before():
    times = frames(210)  # 8.4 s: a 0.4 s tail after two 4 s segments
    planned = plan(times, 4)
    assert [s.frames for s in planned] == [100, 110]
    assert planned[-1].end is None and planned[-1].seconds == pytest.approx(4.4)
    assert_every_frame_once(times, planned)
    assert [s.frames for s in plan(frames(230), 4)] == [100, 100, 30], 'a 1.2 s tail is a segment of its own'


def test_variable_frame_rate_gaps_and_a_start_that_is_not_zero():
    # 30 fps with every third frame missing, a 0.7 s hole, then 10 fps; the first frame at 1.5 s
    times = [t for n, t in enumerate(frames(120, 30, 1.5)) if n % 3 != 1]
    times += [times[-1] + 0.7 + n / 10 for n in range(40)]
    planned = plan(times, 2)
    assert_every_frame_once(times, planned)
    assert planned[0].first == 1.5
    for before, after in itertools.pairwise(planned):
        assert before.end == after.start and after.first - before.first == pytest.approx(before.seconds)
        assert after.start < after.first and after.start > max(t for t in times if t < after.first)


def test_a_hole_longer_than_a_segment_makes_no_empty_segment():
    times = frames(50) + [10 + n / 25 for n in range(50)]
    planned = plan(times, 1)
    assert all(s.frames > 0 for s in planned)
    assert_every_frame_once(times, planned)


def test_a_short_video_is_one_segment_and_an_empty_one_none():
    assert [s.frames for s in plan(frames(20), 4)] == [20]
    assert plan([], 4) == []
    with pytest.raises(ValueError, match='positive'):
        plan(frames(20), 0)


def test_a_plan_survives_the_checkpoint_round_trip():
    planned = plan(frames(250), 4)
    assert [Segment.from_list(s.to_list()) for s in planned] == planned


FRAMECRC = '''#extradata 0:       39, 0xe26e0a21
#tb 0: 1/12800
#media_type 0: video
0,       -512,          0,      512,     4734, 0x17cc5c91
0,          0,       1024,      512,     1180, 0xe54d3fdc, F=0x0
0,        512,        512,      512,     1264, 0xcc99441f, F=0x0
'''


def test_frame_times_are_read_from_framecrc_and_sorted():
    assert parse_frame_times(FRAMECRC) == [0.0, 0.04, 0.08]
    assert parse_frame_times(FRAMECRC + f'0, 9, {-(2**63)}, 512, 10, 0x1\n') is None, 'a packet without a time'
    assert parse_frame_times('') is None


def test_a_segment_checks_out_only_with_its_frames_over_its_span():
    segment = plan(frames(250), 4)[1]
    relative = [n / 25 for n in range(100)]
    assert check(segment, relative) is None
    assert check(segment, relative[:-1]) == '99 frames instead of 100'
    assert 'span' in check(segment, [*relative[:-1], 4.5])
    assert check(segment, None) == 'no video frames can be read from it'


def test_the_concat_list_places_each_segment_at_its_first_frame():
    planned = plan(frames(250), 4)
    text = concat_list(planned, ['00000.mp4', '00001.mp4', "it's.mp4"])
    assert text.splitlines() == ['ffconcat version 1.0', "file '00000.mp4'", 'duration 4.000000', "file '00001.mp4'",
                                 'duration 4.000000', "file 'it'\\''s.mp4'"]


def test_the_default_length_is_a_few_seconds_to_a_minute():
    assert segments.default_length(60) == 5
    assert segments.default_length(120) == 7.5, 'a 2-minute video: 16 segments'
    assert segments.default_length(2 * 3600) == 60, 'a 2-hour one: 120 segments of a minute'
    assert segments.SEGMENTED_FROM_SECONDS >= 60


def test_short_videos_and_a_zero_length_are_one_pass():
    assert segments.length_for(59.9, None) is None and segments.length_for(None, None) is None
    assert segments.length_for(600, None) == 37.5
    assert segments.length_for(600, 0) is None, '0: one pass whatever the length'
    assert segments.length_for(7.3, 2) == 2.0, 'a length asked for cuts a short video too'
    assert segments.length_for(2, 2) is None, 'but not into one segment'
