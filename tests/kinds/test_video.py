"""The `video` kind end to end: the bundled ffmpeg on generated media, through a real JobService on SQLite."""

from __future__ import annotations

import fcntl
import os
import re
import shutil
import subprocess
import sys
import tempfile
import termios
from collections.abc import Iterator
from pathlib import Path

import pytest

from progress_app.config import JobPaths, Settings
from progress_app.errors import InvalidParams
from progress_app.kinds import ffmpeg
from progress_app.runtime.engine.engine import Engine
from progress_app.runtime.service import JobService
from tests.helpers import ROOT, wait_until
from tests.kinds.media import difference, frame_at, make_audio, make_image, make_video
from tests.kinds.test_command import assert_group_gone, proc_state, running_pgid

SPEED = re.compile(r'\d+\.\d\d× realtime')


@pytest.fixture(scope='module')
def media(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp('media')


@pytest.fixture(scope='module')
def clip(media) -> Path:
    """3 s, 160x120, h264 + aac: quick to encode."""
    return make_video(media / 'clip.mp4')


@pytest.fixture(scope='module')
def long_clip(media) -> Path:
    """20 s of a busy 320x240 pattern: a `medium` h264 encode lasts a couple of seconds, h265 several."""
    return make_video(media / 'long.mp4', seconds=20, size='320x240', pattern='testsrc2')


@pytest.fixture(scope='module')
def validating_service(tmp_path_factory) -> Iterator[JobService]:
    """One service for the many submissions that must be refused (nothing runs on it)."""
    service = JobService(Engine(Settings(data_dir=tmp_path_factory.mktemp('data'))))
    service.startup()
    yield service
    service.shutdown(timeout=5)


def finished(service, job_id: int, timeout: float = 30) -> dict:
    done = service.wait(job_id, ['completed', 'failed', 'cancelled'], timeout=timeout)
    assert done['status'] == 'completed', done['error']
    return done


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir()) if folder.is_dir() else []


@pytest.mark.parametrize(('params', 'suffix', 'codec', 'size'), [
    ({'codec': 'h265', 'preset': 'ultrafast', 'scale': '80:-2', 'crf': 30}, '.mp4', 'hevc', (80, 60)),
    ({'codec': 'vp9', 'preset': 'ultrafast', 'audio': 'none', 'output': '{tmp}/small.webm'}, '.webm', 'vp9',
     (160, 120)),
    ({'codec': 'copy', 'audio': 'copy', 'output': '{tmp}/same.mkv'}, '.mkv', 'h264', (160, 120)),
])
def test_transcode_writes_a_downloadable_video_of_the_same_length(service, clip, tmp_path, params, suffix, codec,
                                                                   size):
    params = {k: v.format(tmp=tmp_path) if isinstance(v, str) else v for k, v in params.items()}
    job = service.submit('video', {'input': str(clip), **params})
    done = finished(service, job['id'])
    result = done['result']
    output = Path(result['output'])
    assert output.suffix == suffix and output.is_file()
    info = ffmpeg.probe(output)
    assert info.video_codec == codec and (info.width, info.height) == size
    assert info.duration == pytest.approx(3.0, abs=0.1)
    assert info.audio_codec == (None if params.get('audio') == 'none' else 'aac')
    assert result['duration'] == info.duration and result['codec'] == codec and result['size'] == info.size
    assert done['progress'] == 100 and [s['state'] for s in done['stages']] == ['done'] * 3
    download = service.result_file(job['id'])
    assert os.path.samefile(download.path, output), 'the output is what GET /result serves'
    assert result['download'] == ('hard link' if 'output' in params else 'output folder')
    assert not ffmpeg.partial_path(output).exists()
    log = service.log(job['id'])[0]
    assert 'Stream mapping:' in log, "ffmpeg's stderr goes to the log"
    assert 'out_time_us=' not in log, 'progress lines are read, not logged'


def test_a_completed_video_shows_all_its_media_time_done(service, clip):
    done = finished(service, service.submit('video', {'input': str(clip), 'preset': 'ultrafast'})['id'])
    assert (done['current'], done['total'], done['unit']) == (pytest.approx(3.0), pytest.approx(3.0), 'seconds')
    assert done['progress'] == 100


def test_an_odd_sized_video_loses_its_last_row_and_column_for_h264(service, tmp_path):
    odd = make_video(tmp_path / 'odd.mkv', seconds=1, size='161x121', codec='ffv1')
    jobs = [service.submit('video', {'input': str(odd), 'preset': 'ultrafast'}),
            service.submit('video', {'input': str(odd), 'operation': 'watermark', 'text': 'x', 'preset': 'ultrafast'})]
    for job in jobs:
        info = ffmpeg.probe(finished(service, job['id'])['result']['output'])
        assert (info.video_codec, info.width, info.height) == ('h264', 160, 120)


def test_a_failing_encode_quotes_ffmpeg_and_leaves_no_file(service, tmp_path):
    source = make_video(tmp_path / 'clip.mkv', seconds=1)
    output = tmp_path / 'out.avi'  # h264 from Matroska cannot be copied into AVI as it is
    job = service.submit('video', {'input': str(source), 'output': str(output), 'codec': 'copy', 'audio': 'copy'})
    failed = service.wait(job['id'], ['completed', 'failed'], timeout=20)
    assert failed['status'] == 'failed' and failed['error_stage'] == 'encode'
    assert failed['error'].startswith('EncodeFailed: ffmpeg failed (exit code ')
    assert 'h264 bitstream malformed' in failed['error']
    log = service.log(job['id'])[0]
    assert 'Traceback' not in log and '[progress-app] failed: EncodeFailed: ffmpeg failed (exit code ' in log
    assert leftovers(tmp_path) == ['clip.mkv', 'data']


def test_text_watermark_is_drawn_where_asked_and_nowhere_else(service, clip):
    job = service.submit('video', {'input': str(clip), 'operation': 'watermark', 'text': 'DRAFT',
                                   'position': 'bottom-right', 'opacity': 1, 'font_size': 24, 'preset': 'ultrafast'})
    output = Path(finished(service, job['id'])['result']['output'])
    info = ffmpeg.probe(output)
    assert (info.video_codec, info.width, info.height) == ('h264', 160, 120)
    assert info.duration == pytest.approx(3.0, abs=0.1)
    before, after = frame_at(clip, 1.0), frame_at(output, 1.0)
    assert difference(before, after, (100, 90, 156, 116)) > 20, 'the text covers the bottom-right corner'
    assert difference(before, after, (0, 0, 60, 40)) < 8, 'the rest of the picture is unchanged'


def test_image_watermark_with_opacity(service, clip, tmp_path):
    logo = make_image(tmp_path / 'logo.png', size=(40, 20), color=(255, 0, 0, 255))
    solid = service.submit('video', {'input': str(clip), 'operation': 'watermark', 'image': str(logo),
                                     'position': 'top-left', 'opacity': 1, 'preset': 'ultrafast'})
    faint = service.submit('video', {'input': str(clip), 'operation': 'watermark', 'image': str(logo),
                                     'position': 'top-left', 'opacity': 0.3, 'preset': 'ultrafast'})
    before = frame_at(clip, 1.0)
    solid_frame = frame_at(Path(finished(service, solid['id'])['result']['output']), 1.0)
    faint_frame = frame_at(Path(finished(service, faint['id'])['result']['output']), 1.0)
    red, green, blue = solid_frame.getpixel((24, 14))  # the logo's middle: 4 px margin on a 120 px high frame
    assert red > 220 and green < 40 and blue < 40
    box = (8, 8, 40, 20)
    assert 5 < difference(before, faint_frame, box) < difference(before, solid_frame, box)


def test_progress_moves_in_seconds_of_media_with_speed_and_eta(service, long_clip):
    job = service.submit('video', {'input': str(long_clip), 'preset': 'medium'})
    snaps: list[dict] = []

    def sample() -> bool:
        snap = service.get(job['id'])
        snaps.append(snap)
        return snap['status'] in ('completed', 'failed')

    wait_until(sample, timeout=60, interval=0.02)
    done = snaps[-1]
    assert done['status'] == 'completed', done['error']
    encoding = [s for s in snaps if s['stage'] == 'encode' and s['status'] == 'running']
    moving = sorted({s['current'] for s in encoding if 0 < s['current'] < 20})
    assert len(moving) >= 3, f'media time should be seen moving, saw {moving}'
    assert all(s['total'] == 20 and s['unit'] == 'seconds' for s in encoding)
    assert len({s['progress'] for s in snaps if 5 < s['progress'] < 95}) >= 3
    progress = [s['progress'] for s in snaps]
    assert progress == sorted(progress), 'percent never goes backwards'
    assert not any(SPEED.search(s['message']) for s in encoding), 'one speed per job: the app\'s, not ffmpeg\'s'
    assert any(s['speed'] for s in encoding), 'the engine measures seconds of media per second: ×realtime'
    assert any(s['eta_seconds'] is not None for s in encoding) or done['elapsed_seconds'] < 1.5
    assert done['result']['duration'] == pytest.approx(20.0, abs=0.1)
    assert done['result']['speed'] > 0


def output_drained(popen) -> bool:
    """Whether everything the process wrote to its stdout and stderr has been read and handled by the job: both
    pipes empty, and the job's reader (process.pump_lines) waiting in select with no part line buffered."""
    if any(fcntl.ioctl(stream.fileno(), termios.FIONREAD, b'\0\0\0\0') != b'\0\0\0\0'
           for stream in (popen.stdout, popen.stderr) if stream is not None and not stream.closed):
        return False
    for frame in sys._current_frames().values():
        innermost = frame.f_code.co_name
        while frame is not None:
            if frame.f_code.co_name == 'pump_lines' and frame.f_locals.get('popen') is popen:
                return innermost == 'select' and not any(frame.f_locals.get('buffers', {}).values())
            frame = frame.f_back
    return False


def test_pause_stops_ffmpeg_resume_goes_on_and_cancel_removes_the_partial_output(service, long_clip):
    job = service.submit('video', {'input': str(long_clip), 'codec': 'h265', 'preset': 'medium'})
    live = service.job(job['id'])
    pid = running_pgid(service, job['id'])
    wait_until(lambda: live.progress.current > 0, timeout=20, message='the encode to report progress')
    folder = service.config.job_paths.output_dir(job['id'])
    partial = ffmpeg.partial_path(folder / 'long.mp4')
    assert partial.exists(), leftovers(folder)

    assert service.pause(job['id'])['status'] == 'paused'
    wait_until(lambda: proc_state(pid) == 'T', timeout=0.5, interval=0.005, message='ffmpeg to be stopped')
    # Stopped, ffmpeg writes nothing more; once the job has read and handled all it wrote before (its pipes
    # empty, no part line held back, the reader back in select), nothing is left that could move the job.
    wait_until(lambda: output_drained(live.process), timeout=5, message='the job to read all ffmpeg wrote')
    paused_at = live.progress.current
    assert output_drained(live.process) and proc_state(pid) == 'T', 'nothing moves while paused'

    assert service.resume(job['id'])['status'] == 'running'
    wait_until(lambda: live.progress.current > paused_at, timeout=10, message='progress after the resume')
    assert live.process_group == pid, 'the same ffmpeg goes on; it is not restarted'

    assert service.cancel(job['id'])['status'] == 'cancelled'
    assert_group_gone(pid)
    assert leftovers(folder) == [], 'no partial output is left behind'
    types = [e['type'] for e in service.events(job['id'])]
    assert types.index('paused') < types.index('resumed') < types.index('cancelled')


def test_cancel_while_paused_keeps_an_existing_output_file_intact(service, long_clip, tmp_path):
    (tmp_path / 'out').mkdir()
    output = tmp_path / 'out' / 'result.mp4'
    output.write_bytes(b'the previous result')
    job = service.submit('video', {'input': str(long_clip), 'output': str(output), 'codec': 'h265'})
    live = service.job(job['id'])
    pid = running_pgid(service, job['id'])
    wait_until(lambda: live.progress.current > 0, timeout=20, message='the encode to report progress')
    assert service.pause(job['id'])['status'] == 'paused'
    assert service.cancel(job['id'])['status'] == 'cancelled'
    assert_group_gone(pid)
    assert output.read_bytes() == b'the previous result', 'ffmpeg writes a partial file, renamed only at the end'
    assert leftovers(output.parent) == ['result.mp4']


def test_a_restart_of_the_app_encodes_again_as_attempt_2(make_service, long_clip, tmp_path):
    data = tmp_path / 'data'
    first = make_service(data_dir=data)
    job = first.submit('video', {'input': str(long_clip), 'preset': 'medium'})
    live = first.job(job['id'])
    pid = running_pgid(first, job['id'])
    wait_until(lambda: live.progress.current > 0, timeout=20, message='the encode to report progress')
    first.shutdown()
    assert_group_gone(pid)
    assert leftovers(JobPaths.under(data).output_dir(job['id'])) == [], 'the interrupted partial output is removed'

    second = make_service(data_dir=data)
    done = finished(second, job['id'])
    assert done['attempts'] == 2
    assert done['result']['duration'] == pytest.approx(20.0, abs=0.1)
    log = second.log(job['id'])[0]
    assert '[progress-app] attempt 2 started' in log and log.count('Stream mapping:') == 2


def test_after_a_restart_the_bar_follows_the_encode_that_runs(make_service, long_clip, tmp_path):
    """The encode starts again from the start: its percent, counts and ETA are the new attempt's, not frozen at
    the percent the first attempt had reached (84 % while the text said 0:03.60 of 0:30.00)."""
    data = tmp_path / 'data'
    first = make_service(data_dir=data)
    job = first.submit('video', {'input': str(long_clip), 'preset': 'medium'})
    live = first.job(job['id'])
    wait_until(lambda: live.progress.current >= 8, timeout=30, message='the first attempt to get past 8 s')
    first.shutdown()
    interrupted = first.get(job['id'])['progress']
    assert interrupted > 40

    second = make_service(data_dir=data)
    snaps: list[dict] = []

    def sample() -> bool:
        snaps.append(second.get(job['id']))
        return snaps[-1]['status'] in ('completed', 'failed')

    wait_until(sample, timeout=60, interval=0.02)
    assert snaps[-1]['status'] == 'completed', snaps[-1]['error']
    encoding = [s for s in snaps if s['status'] == 'running' and s['stage'] == 'encode' and 0 < s['current'] < 20]
    assert encoding, 'the second encode was seen running'
    for snap in encoding:  # probe 5 % + encode 90 % × media done
        assert snap['progress'] == pytest.approx(5 + 90 * snap['current'] / 20, abs=1.5), snap
    assert min(s['progress'] for s in encoding) < interrupted
    progress = [s['progress'] for s in snaps if s['status'] == 'running']
    assert progress == sorted(progress), 'within an attempt, percent never goes backwards'


def test_something_that_is_not_a_video_fails_with_a_clear_error(service, tmp_path):
    fake = tmp_path / 'notes.mp4'
    fake.write_text('not a video at all\n')
    tone = make_audio(tmp_path / 'tone.m4a')
    for path, reason in ((fake, 'is not a video (ffmpeg: invalid data found'), (tone, 'has no video stream (audio')):
        failed = service.wait(service.submit('video', {'input': str(path)})['id'], ['completed', 'failed'], 10)
        assert failed['status'] == 'failed' and failed['error_stage'] == 'probe'
        assert f"NotAVideo: '{path}' {reason}" in failed['error']


INVALID = [
    ({'input': '{tmp}/missing.mp4'}, "params.input: '{tmp}/missing.mp4' does not exist"),
    ({'input': '{tmp}'}, "params.input: '{tmp}' is not a file"),
    ({'input': '{tmp}/empty.mp4'}, "params.input: '{tmp}/empty.mp4' is empty"),
    ({'output': '{clip}'}, 'params.output: is the input file'),
    ({'output': '{tmp}/nowhere/out.mp4'}, "params.output: the folder '{tmp}/nowhere' does not exist"),
    ({'output': '{tmp}'}, "params.output: '{tmp}' is a folder"),
    ({'output': '{tmp}/out.txt'}, "params.output: needs a video file extension (.mp4, .m4v"),
    ({'output': '{tmp}/out.webm'}, 'params.codec: a .webm file cannot hold h264 video'),
    ({'output': '{tmp}/out.webm', 'codec': 'vp9'}, 'params.audio: a .webm file cannot hold AAC audio'),
    ({'codec': 'av1'}, "params.codec: Input should be 'h264', 'h265', 'vp9' or 'copy'"),
    ({'crf': 52}, 'params.crf: must be from 0 to 51 for h264'),
    ({'codec': 'vp9', 'crf': 64}, 'params.crf: must be from 0 to 63 for vp9'),
    ({'codec': 'copy', 'crf': 20}, "params.crf: does not apply to codec 'copy'"),
    ({'codec': 'copy', 'preset': 'fast'}, "params.preset: does not apply to codec 'copy'"),
    ({'preset': 'turbo'}, "params.preset: Input should be 'ultrafast'"),
    ({'scale': 'big'}, "params.scale: must be 'WIDTH:HEIGHT' in pixels"),
    ({'scale': '1279:-2'}, 'params.scale: h264 needs an even width and height'),
    ({'scale': '-2:-2'}, 'params.scale: needs a width or a height'),
    ({'codec': 'copy', 'scale': '640:-2'}, "params.scale: needs re-encoding: does not apply to codec 'copy'"),
    ({'text': 'hi'}, "params.text: only used by operation 'watermark'"),
    ({'operation': 'watermark'}, "params.image: a watermark needs a 'text' or an 'image'"),
    ({'operation': 'watermark', 'text': 'a', 'image': '{logo}'}, "params.image: give either a 'text' or an 'image'"),
    ({'operation': 'watermark', 'image': '{tmp}/logo.gif'}, "params.image: '{tmp}/logo.gif' does not exist"),
    ({'operation': 'watermark', 'image': '{clip}'}, "params.image: '{clip}' is not an image that can be read"),
    ({'operation': 'watermark', 'text': 'a', 'codec': 'copy'}, 'params.codec: a watermark needs re-encoding'),
    ({'operation': 'watermark', 'text': 'a', 'scale': '640:-2'}, "params.scale: applies to operation 'transcode'"),
    ({'operation': 'watermark', 'text': 'a', 'opacity': 0}, 'params.opacity: Input should be greater than 0'),
    ({'operation': 'watermark', 'text': 'a', 'opacity': 1.5}, 'params.opacity: Input should be less than or equal'),
    ({'operation': 'watermark', 'text': 'a', 'position': 'top'}, "params.position: Input should be 'top-left'"),
    ({'codecs': 'h264'}, "params.codecs: unknown parameter of 'video'"),
]


@pytest.mark.parametrize(('params', 'expected'), INVALID)
def test_invalid_params_are_refused_before_anything_runs(validating_service, clip, tmp_path, params, expected):
    service = validating_service
    (tmp_path / 'empty.mp4').touch()
    places = {'tmp': tmp_path, 'clip': clip, 'logo': make_image(tmp_path / 'logo.png')}
    params = {'input': str(clip), **{k: v.format(**places) if isinstance(v, str) else v for k, v in params.items()}}
    before = service.list()['total']
    with pytest.raises(InvalidParams) as caught:
        service.submit('video', params)
    assert expected.format(**places) in str(caught.value)
    assert service.list()['total'] == before
    assert not (tmp_path / 'out.mp4').exists()


@pytest.mark.skipif(os.geteuid() == 0, reason='root reads any file: run as nobody by the test below')
def test_an_unreadable_input_is_refused(service, tmp_path, clip):
    locked = tmp_path / 'locked.mp4'
    locked.write_bytes(clip.read_bytes())
    locked.chmod(0)
    with pytest.raises(InvalidParams, match='cannot be read: Permission denied'):
        service.submit('video', {'input': str(locked)})


@pytest.mark.skipif(os.geteuid() != 0, reason='the test above runs as it is')
def test_an_unreadable_input_is_refused_for_an_ordinary_user_too():
    """As root (CI), the check above runs as `nobody`, for whom a file can be unreadable."""
    as_nobody = ['setpriv', '--reuid=nobody', '--regid=nogroup', '--clear-groups', sys.executable]
    if subprocess.run([*as_nobody, '-c', 'import pytest, progress_app'], capture_output=True, cwd='/').returncode:
        pytest.skip(f'nobody cannot read this checkout ({ROOT}) or its .venv, e.g. under a mode-700 folder')
    scratch = Path(tempfile.mkdtemp(prefix='as-nobody-'))
    scratch.chmod(0o777)
    try:
        result = subprocess.run(
            ['setpriv', '--reuid=nobody', '--regid=nogroup', '--clear-groups', sys.executable, '-m', 'pytest', '-q',
             '-p', 'no:cacheprovider', '--basetemp', str(scratch / 'tmp'),
             f'{Path(__file__).relative_to(ROOT)}::test_an_unreadable_input_is_refused'],
            cwd=ROOT, capture_output=True, text=True, timeout=300, env={**os.environ, 'HOME': str(scratch)})
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    assert result.returncode == 0 and '1 passed' in result.stdout, result.stdout[-3000:] + result.stderr[-2000:]


def test_progress_parser_reads_blocks_and_ignores_missing_values():
    parser = ffmpeg.ProgressParser()
    first = 'frame=0\nfps=0.00\nout_time_us=N/A\nout_time=N/A\nspeed=N/A\nprogress=continue'
    later = 'frame=250\nfps=212.5\nout_time_us=10000000\nout_time=00:00:10.000000\nspeed=8.5x\nprogress=end'
    reports = [parser.feed(line) for line in f'{first}\n{later}'.splitlines()]
    start, end = [r for r in reports if r is not None]
    assert (start.out_seconds, start.fps, start.speed, start.ended) == (0.0, 0.0, None, False)
    assert (end.out_seconds, end.fps, end.speed, end.frame, end.ended) == (10.0, 212.5, 8.5, 250, True)
    assert ffmpeg.describe_progress(end, 40.0) == '212 fps · 0:10.00 of 0:40.00', 'the speed is the app\'s, beside it'


def test_probe_tells_images_and_videos_apart(clip, tmp_path):
    info = ffmpeg.probe(clip)
    assert (info.video_codec, info.audio_codec, info.width, info.height, info.fps) == ('h264', 'aac', 160, 120, 25)
    assert info.duration == pytest.approx(3.0, abs=0.05) and info.size == clip.stat().st_size
    with pytest.raises(ffmpeg.NotAVideo, match='is an image'):
        ffmpeg.probe(make_image(tmp_path / 'logo.png'))
