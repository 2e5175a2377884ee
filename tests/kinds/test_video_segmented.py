"""Segmented `video` encodes (ffmpeg/segmented.py) with the bundled ffmpeg on small generated media: every frame
once at its own time, the audio, pause and cancel of segments running side by side, resume at the next unfinished
segment. `segment_seconds` makes segments of a short clip, so each test takes a second or two."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from progress_app.config import JobPaths
from progress_app.kinds import ffmpeg
from progress_app.kinds.ffmpeg import segmented
from progress_app.kinds.ffmpeg.segments import parse_frame_times
from tests.helpers import wait_until
from tests.kinds.media import difference, frame_at, make_video, run_ffmpeg
from tests.kinds.test_command import assert_group_gone, proc_state
from tests.kinds.test_video import finished, leftovers


def frame_times(path: Path, stream: str = 'v') -> list[float]:
    """The timestamps of the packets of the first video (or 'a': audio) stream of `path`."""
    done = subprocess.run([ffmpeg.executable(), '-hide_banner', '-nostdin', '-i', str(path), '-map', f'0:{stream}:0',
                           '-c', 'copy', '-f', 'framecrc', '-'], capture_output=True, text=True, timeout=60, check=True)
    times = parse_frame_times(done.stdout)
    assert times is not None
    return times


def counted_frames(path: Path) -> int:
    """The video frames in `path`, as ffmpeg counts them when it copies the stream."""
    done = subprocess.run([ffmpeg.executable(), '-hide_banner', '-nostdin', '-i', str(path), '-map', '0:v:0', '-c',
                           'copy', '-f', 'null', '-'], capture_output=True, text=True, timeout=60, check=True)
    return int(re.findall(r'frame=\s*(\d+)', done.stderr)[-1])


def make_vfr(path: Path, seconds: float = 7.3) -> Path:
    """30 fps with every third frame dropped and a 0.7 s hole at 2 s: a variable frame rate, with a tone."""
    run_ffmpeg('-f', 'lavfi', '-i', f"testsrc2=duration={seconds}:size=160x120:rate=30,"
               "select='not(eq(mod(n\\,3)\\,1))*not(between(n\\,60\\,80))'",
               '-f', 'lavfi', '-i', f'sine=frequency=440:duration={seconds}', '-fps_mode', 'passthrough',
               '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', '-c:a', 'aac', '-shortest', str(path))
    return path


def encode_both_ways(service, source: Path, tmp_path: Path, **params) -> tuple[dict, dict]:
    """The same encode in 2 s segments and in one pass; returns both finished jobs."""
    jobs = [service.submit('video', {'input': str(source), 'output': str(tmp_path / f'{name}.mp4'),
                                     'segment_seconds': seconds, 'preset': 'veryfast', **params})
            for name, seconds in (('segmented', 2), ('one-pass', 0))]
    return finished(service, jobs[0]['id']), finished(service, jobs[1]['id'])


def assert_same_video(segmented_job: dict, one_pass_job: dict, seconds: float) -> None:
    joined, whole = Path(segmented_job['result']['output']), Path(one_pass_job['result']['output'])
    assert segmented_job['result']['segments'] >= 3 and one_pass_job['result']['segments'] is None
    assert counted_frames(joined) == counted_frames(whole), 'no frame lost or doubled at the joins'
    assert frame_times(joined) == pytest.approx(frame_times(whole), abs=1e-4), 'each frame at its own time'
    info, reference = ffmpeg.probe(joined), ffmpeg.probe(whole)
    assert info.duration == pytest.approx(reference.duration, abs=0.04)
    assert info.duration == pytest.approx(seconds, abs=0.05)
    assert (info.video_codec, info.audio_codec) == ('h264', 'aac')
    assert frame_times(joined, 'a') == pytest.approx(frame_times(whole, 'a'), abs=1e-3), 'the audio in sync'
    for at in (1.0, 2.9, seconds - 0.8):  # inside segments, just after the 2 s join, the end: the same picture
        assert difference(frame_at(joined, at), frame_at(whole, at), (0, 0, 160, 120)) < 4, at


def test_a_segmented_transcode_has_every_frame_of_a_one_pass_encode(service, tmp_path):
    source = make_video(tmp_path / 'clip.mp4', seconds=7.3, pattern='testsrc2')  # not a multiple of 2 s
    joined, whole = encode_both_ways(service, source, tmp_path)
    assert_same_video(joined, whole, 7.3)
    assert counted_frames(Path(joined['result']['output'])) == 183 - 1  # 7.3 s at 25 fps: frames 0..181
    data = service.config.job_paths
    assert not data.scratch_dir(joined['id']).exists(), 'the segments are removed once joined'
    assert not [name for name in leftovers(tmp_path) if name.startswith('.')], 'no partial file is left'
    log = service.log(joined['id'])[0]
    assert 'encoding in 4 segments of about 2 s' in log
    assert log.count('[ffmpeg]') == 1 + 4 + 1, 'the audio once, each segment once, the join'
    assert (joined['current'], joined['total']) == (pytest.approx(7.3), pytest.approx(7.3))


def test_a_variable_frame_rate_video_keeps_its_frames_and_gaps(service, tmp_path):
    source = make_vfr(tmp_path / 'vfr.mp4')
    joined, whole = encode_both_ways(service, source, tmp_path)
    assert_same_video(joined, whole, 7.3)
    assert counted_frames(Path(joined['result']['output'])) == len(frame_times(source))


def test_a_segmented_watermark_is_on_every_segment(service, tmp_path):
    source = make_video(tmp_path / 'clip.mp4', seconds=5, pattern='testsrc2')
    joined, whole = encode_both_ways(service, source, tmp_path, operation='watermark', text='HELLO',
                                     position='top-left', opacity=1.0)
    assert_same_video(joined, whole, 5.0)


@pytest.fixture
def two_at_once(monkeypatch):
    monkeypatch.setattr(segmented, 'PARALLEL_SEGMENTS', 2)


def running_groups(live, count: int) -> list[int]:
    return wait_until(lambda: len(groups := [p.pid for p in live.processes]) >= count and groups, timeout=30,
                      interval=0.005, message=f'{count} segment encodes at once')


def test_pause_stops_every_running_segment_and_cancel_ends_them_and_the_scratch(service, tmp_path, two_at_once):
    source = make_video(tmp_path / 'busy.mp4', seconds=24, size='320x240', pattern='testsrc2', audio=False)
    job = service.submit('video', {'input': str(source), 'codec': 'h265', 'preset': 'medium', 'segment_seconds': 4})
    live = service.job(job['id'])
    pids = running_groups(live, 2)
    assert service.pause(job['id'])['status'] == 'paused'
    for pid in pids:
        wait_until(lambda pid=pid: proc_state(pid) in ('T', None), timeout=1, interval=0.005,
                   message='each segment encode to be stopped')
    stopped = [p.pid for p in live.processes]
    assert len(stopped) == 2 and all(proc_state(pid) == 'T' for pid in stopped), 'both stopped, none started'
    held = live.progress.current

    assert service.resume(job['id'])['status'] == 'running'
    wait_until(lambda: live.progress.current > held, timeout=20, message='progress after the resume')
    assert all(proc_state(pid) != 'T' for pid in stopped if proc_state(pid) is not None)

    pids = running_groups(live, 1)
    assert service.cancel(job['id'])['status'] == 'cancelled'
    for pid in pids:
        assert_group_gone(pid)
    assert not service.config.job_paths.scratch_dir(job['id']).exists(), 'a cancel removes the segments'
    assert leftovers(service.config.job_paths.output_dir(job['id'])) == []


def segments_done(service, job_id: int) -> list[int]:
    state = service.job(job_id).checkpoint_state or {}
    return state.get(segmented.KEY, {}).get('done', [])


def test_a_restart_goes_on_at_the_next_unfinished_segment(make_service, tmp_path, two_at_once):
    source = make_video(tmp_path / 'clip.mp4', seconds=16, size='320x240', pattern='testsrc2')
    data = tmp_path / 'data'
    first = make_service(data_dir=data)
    job = first.submit('video', {'input': str(source), 'preset': 'slow', 'segment_seconds': 2})
    wait_until(lambda: len(segments_done(first, job['id'])) >= 3, timeout=60, interval=0.005,
               message='three segments done')
    first.shutdown()
    done_before = segments_done(first, job['id'])
    scratch = JobPaths.under(data).scratch_dir(job['id']) / 'segments'
    damaged = scratch / f'{done_before[0]:05d}.mp4'
    damaged.write_bytes(damaged.read_bytes()[:2000])  # a file that exists but fails its check

    second = make_service(data_dir=data)
    done = finished(second, job['id'], timeout=120)
    assert done['attempts'] == 2 and done['result']['segments'] == 8
    log = second.log(job['id'])[0]
    resumed = log[log.index('attempt 2 started'):]
    kept = len(done_before) - 1
    found = re.search(r'\[video\] resuming at (\S+), (\d+) of 8 segments done', resumed)
    assert found is not None, resumed[:2000]
    assert int(found[2]) >= kept
    encoded_again = re.findall(r'segments/\.(\d{5})\.partial\.mp4', resumed.split('segments.ffconcat')[0])
    assert f'{done_before[0]:05d}' in encoded_again, 'the damaged segment is encoded again'
    assert len(set(encoded_again)) == 8 - int(found[2]), 'only the segments not done are encoded'
    assert not set(encoded_again) & {f'{i:05d}' for i in done_before[1:]}, 'no finished segment is redone'
    output = Path(done['result']['output'])
    assert counted_frames(output) == 400 and ffmpeg.probe(output).duration == pytest.approx(16, abs=0.05)
    assert ffmpeg.probe(output).audio_codec == 'aac'
    assert not scratch.parent.exists()


def test_on_the_processes_executor_the_segments_are_spread_over_the_workers(make_service, tmp_path):
    source = make_vfr(tmp_path / 'vfr.mp4')
    service = make_service(executor='processes', executor_workers=2)
    job = service.submit('video', {'input': str(source), 'segment_seconds': 2, 'preset': 'veryfast'})
    done = service.wait(job['id'], ['completed', 'failed'], timeout=90)
    assert done['status'] == 'completed', done['traceback']
    output = Path(done['result']['output'])
    assert done['result']['segments'] == 4 and counted_frames(output) == len(frame_times(source))
    assert ffmpeg.probe(output).duration == pytest.approx(7.3, abs=0.04)
    assert (done['current'], done['total']) == (pytest.approx(7.3), pytest.approx(7.3))
    assert not service.config.job_paths.scratch_dir(job['id']).exists()


def test_a_failed_encode_retried_goes_on_at_the_next_unfinished_segment(service, tmp_path, two_at_once):
    source = make_video(tmp_path / 'clip.mp4', seconds=16, size='320x240', pattern='testsrc2')
    job = service.submit('video', {'input': str(source), 'preset': 'slow', 'segment_seconds': 2})
    wait_until(lambda: len(segments_done(service, job['id'])) >= 3, timeout=60, interval=0.005,
               message='three segments done')
    away = source.rename(tmp_path / 'away.mp4')  # the next segment's ffmpeg cannot open the input: it fails
    failed = service.wait(job['id'], ['completed', 'failed'], timeout=60)
    assert failed['status'] == 'failed' and failed['error_stage'] == 'encode', failed['status']
    done_before = segments_done(service, job['id'])
    away.rename(source)  # back, as it was (a rename keeps its size and time): the plan still holds

    service.retry(job['id'])
    done = finished(service, job['id'], timeout=120)
    log = service.log(job['id'])[0]
    resumed = log[log.index('attempt 2 started'):]
    found = re.search(r'\[video\] resuming at \S+, (\d+) of 8 segments done', resumed)
    assert found is not None and int(found[1]) >= len(done_before) >= 3, resumed[:2000]
    encoded_again = set(re.findall(r'segments/\.(\d{5})\.partial\.mp4', resumed))
    assert not encoded_again & {f'{i:05d}' for i in done_before}, 'no finished segment is redone'
    assert counted_frames(Path(done['result']['output'])) == 400


def test_progress_adds_up_the_segments_running_side_by_side(service, tmp_path, two_at_once):
    source = make_video(tmp_path / 'clip.mp4', seconds=16, size='320x240', pattern='testsrc2', audio=False)
    job = service.submit('video', {'input': str(source), 'preset': 'slow', 'segment_seconds': 2})
    snaps: list[dict] = []

    def sample() -> bool:
        snaps.append(service.get(job['id']))
        return snaps[-1]['status'] in ('completed', 'failed')

    wait_until(sample, timeout=60, interval=0.01)
    assert snaps[-1]['status'] == 'completed', snaps[-1]['error']
    encoding = [s for s in snaps if s['status'] == 'running' and s['stage'] == 'encode' and s['total']]
    assert all(s['total'] == pytest.approx(16) and s['unit'] == 'seconds' for s in encoding)
    current = [s['current'] for s in encoding]
    assert current == sorted(current), 'media done never goes back, as segments finish and others start'
    between = {round(c, 2) for c in current if c % 2 > 0.05}
    assert between, 'the media time of running segments counts before they finish'
    assert any(re.fullmatch(r'\d of 8 segments · [12] encoding · .*', s['message']) for s in encoding)
    progress = [s['progress'] for s in snaps]
    assert progress == sorted(progress)
