"""A segmented video encode survives a crash: the real app is SIGKILLed past 60 % of a transcode and started again
on the same data directory; the encode goes on at the next unfinished segment and the result holds every frame of
the input once, its audio and its duration. (How much time that saves is bench/video_segments.py's to measure.)"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from progress_app.config import JobPaths
from progress_app.kinds import ffmpeg
from progress_app.kinds.ffmpeg import segmented
from tests.helpers import stored_job, wait_until
from tests.kinds.media import make_video
from tests.kinds.test_video_segmented import counted_frames, frame_times

SECONDS = 30
SEGMENTS = 15


def test_a_killed_transcode_goes_on_at_the_next_unfinished_segment(app_process, tmp_path):
    source = make_video(tmp_path / 'clip.mp4', seconds=SECONDS, size='320x240', pattern='testsrc2')
    app = app_process('--workers', '1')
    job_id = app.submit('video', {'input': str(source), 'preset': 'slow', 'segment_seconds': SECONDS // SEGMENTS})['id']
    before = wait_until(lambda: (s := app.job(job_id))['stage'] == 'encode' and s['progress'] >= 60 and s,
                        timeout=120, interval=0.01, message='the encode to pass 60 %')
    app.kill()
    assert before['status'] == 'running' and before['progress'] < 95, before

    row = stored_job(app.db_url, job_id)
    assert row is not None and row['status'] == 'running'
    done_at_kill = set(row['checkpoint']['state'][segmented.KEY]['done'])
    assert len(done_at_kill) >= 5, done_at_kill

    app = app_process('--workers', '1')
    seen: list[dict] = []

    def ended() -> dict | None:
        seen.append(app.job(job_id))
        return seen[-1] if seen[-1]['status'] in ('completed', 'failed') else None

    done = wait_until(ended, timeout=120, interval=0.02, message='the resumed encode to end')
    assert done['status'] == 'completed', done['error']
    encoding = [s for s in seen if s['status'] == 'running' and s['stage'] == 'encode']
    assert encoding, 'the resumed encode was seen running'
    # The media of the segments done counts as done: the bar goes on from there, it does not start again at 0.
    assert min(s['current'] for s in encoding) >= len(done_at_kill) * SECONDS / SEGMENTS - 0.1, encoding[0]
    assert min(s['progress'] for s in encoding) >= 5 + 90 * len(done_at_kill) / SEGMENTS - 1
    assert done['attempts'] == 2 and done['result']['segments'] == SEGMENTS

    log = JobPaths.under(app.data_dir).log_file(job_id).read_text()
    resumed = log[log.index('attempt 2 started'):]
    found = re.search(rf'\[video\] resuming at (\S+), (\d+) of {SEGMENTS} segments done', resumed)
    assert found is not None, resumed[:3000]
    assert int(found[2]) >= len(done_at_kill), 'every segment recorded done is taken up'
    encoded = set(re.findall(r'segments/\.(\d{5})\.partial\.mp4', resumed))
    assert len(encoded) == SEGMENTS - int(found[2]), 'only the unfinished segments are encoded'
    assert not encoded & {f'{i:05d}' for i in done_at_kill}, 'no finished segment is encoded again'

    output = Path(done['result']['output'])
    assert counted_frames(output) == len(frame_times(source)) == SECONDS * 25, 'every input frame exactly once'
    info = ffmpeg.probe(output)
    assert info.duration == pytest.approx(SECONDS, abs=0.04) and info.audio_codec == 'aac'
    assert not JobPaths.under(app.data_dir).scratch_dir(job_id).exists()
