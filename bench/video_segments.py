"""Segmented video encodes (issue 18): their cost against one pass, their quality, and what a crash costs.

A generated 2-minute 720p clip (lavfi `testsrc2` with a tone; a keyframe every 2 s, as a phone or a camera
writes them) is transcoded by the real app (`app.py` in a
subprocess, threads executor) three ways, timed from submit to completed:

1. in one pass (`segment_seconds: 0`, what every encode was before);
2. in segments (the default for a video of a minute or more);
3. in segments, the app SIGKILLed once the job passes `--kill-at` percent and started again on the same data dir:
   the time from the second start (the app's own start-up included) to completed, against 2.

Targets: the size at the same CRF within 3 % of one pass's; every frame of the input in each output; the resumed
encode ≤ 0.7 × a whole segmented encode. Segmented / one pass wall time is printed for information (each segment
costs a process start and a seek; segments side by side win that back on cores the encoder leaves idle). Wall times
are only fair on an otherwise idle machine (the load is printed).

    .venv/bin/python bench/video_segments.py [--seconds 120] [--size 1280x720] [--preset medium] [--kill-at 60]
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import time
from pathlib import Path
from typing import Any

import httpx
from _common import machine_note, print_table, start_app, stop_app, tmp_dir, verdict, wait_until

from progress_app.kinds import ffmpeg

SIZE_TARGET = 0.03
RESUME_TARGET = 0.7


def make_source(path: Path, seconds: float, size: str) -> Path:
    subprocess.run([ffmpeg.executable(), '-hide_banner', '-nostdin', '-loglevel', 'error', '-y',
                    '-f', 'lavfi', '-i', f'testsrc2=duration={seconds}:size={size}:rate=25',
                    '-f', 'lavfi', '-i', f'sine=frequency=440:duration={seconds}', '-c:v', 'libx264',
                    '-preset', 'ultrafast', '-g', '50', '-crf', '12', '-pix_fmt', 'yuv420p', '-c:a', 'aac', '-shortest',
                    str(path)], check=True)
    return path


def frames(path: Path) -> int:
    done = subprocess.run([ffmpeg.executable(), '-hide_banner', '-nostdin', '-i', str(path), '-map', '0:v:0', '-c',
                           'copy', '-f', 'null', '-'], capture_output=True, text=True, check=True)
    return int(re.findall(r'frame=\s*(\d+)', done.stderr)[-1])


def submit(url: str, params: dict[str, Any]) -> int:
    response = httpx.post(f'{url}/api/jobs', json={'kind': 'video', 'params': params}, timeout=30)
    response.raise_for_status()
    return response.json()['id']


def job(url: str, job_id: int) -> dict[str, Any]:
    return httpx.get(f'{url}/api/jobs/{job_id}', timeout=30).json()


def completed(url: str, job_id: int) -> dict[str, Any]:
    done = wait_until(lambda: (s := job(url, job_id))['status'] in ('completed', 'failed') and s, timeout=7200,
                      interval=0.1, what=f'job {job_id}')
    if done['status'] != 'completed':
        raise SystemExit(f'job {job_id} failed: {done["error"]}')
    return done


def timed(url: str, params: dict[str, Any]) -> tuple[float, dict[str, Any]]:
    start = time.perf_counter()
    done = completed(url, submit(url, params))
    return time.perf_counter() - start, done


def kill_and_resume(work: Path, params: dict[str, Any], kill_at: float) -> tuple[float, float, dict[str, Any], str]:
    """Percent at the kill, seconds from the second start to completed, the finished job and the resume line."""
    data = work / 'data-kill'
    proc, url, _ = start_app(data, '--workers', '1')
    job_id = submit(url, params)
    seen = wait_until(lambda: (s := job(url, job_id))['progress'] >= kill_at and s, timeout=7200, interval=0.02,
                      what=f'the encode to pass {kill_at:g} %')
    proc.kill()
    proc.wait()
    start = time.perf_counter()
    proc, url, _ = start_app(data, '--workers', '1')
    try:
        done = completed(url, job_id)
        resumed = time.perf_counter() - start
    finally:
        stop_app(proc)
    log = (data / 'logs' / f'{job_id}.log').read_text()
    line = re.search(r'\[video\] (resuming at .*)', log)
    return seen['progress'], resumed, done, line[1] if line else '(no resume line)'


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--seconds', type=float, default=120, help='length of the test clip (default 120)')
    parser.add_argument('--size', default='1280x720', help='frame size of the test clip (default 1280x720)')
    parser.add_argument('--preset', default='medium', choices=ffmpeg.PRESETS, help='(default medium)')
    parser.add_argument('--crf', type=int, default=23, help='(default 23)')
    parser.add_argument('--kill-at', type=float, default=60, help='percent at which the app is killed (default 60)')
    args = parser.parse_args()
    print(machine_note())

    with tmp_dir('video-segments') as work:
        source = make_source(work / 'source.mp4', args.seconds, args.size)
        info = ffmpeg.probe(source)
        base = {'input': str(source), 'preset': args.preset, 'crf': args.crf, 'audio': 'aac'}
        proc, url, _ = start_app(work / 'data', '--workers', '1')
        try:
            one_pass, _ = timed(url, {**base, 'segment_seconds': 0, 'output': str(work / 'one-pass.mp4')})
            in_segments, parts = timed(url, {**base, 'output': str(work / 'segmented.mp4')})
        finally:
            stop_app(proc)
        killed_at, resumed, again, line = kill_and_resume(
            work, {**base, 'output': str(work / 'resumed.mp4')}, args.kill_at)
        counts = {name: frames(work / f'{name}.mp4') for name in ('one-pass', 'segmented', 'resumed')}
        expected = frames(source)
        sizes = {name: (work / f'{name}.mp4').stat().st_size for name in ('one-pass', 'segmented', 'resumed')}
        durations = {name: ffmpeg.probe(work / f'{name}.mp4').duration for name in sizes}

    speed = in_segments / one_pass
    size = sizes['segmented'] / sizes['one-pass'] - 1
    ratio = resumed / in_segments
    print_table(('encode', 'wall s', '×realtime', 'frames', 'duration s', 'MB'), [
        ('one pass', one_pass, args.seconds / one_pass, counts['one-pass'], durations['one-pass'],
         sizes['one-pass'] / 1e6),
        (f'{parts["result"]["segments"]} segments', in_segments, args.seconds / in_segments, counts['segmented'],
         durations['segmented'], sizes['segmented'] / 1e6),
        (f'killed at {killed_at:.0f} %, after the restart', resumed, '', counts['resumed'], durations['resumed'],
         sizes['resumed'] / 1e6),
    ], title=f'{info.describe()} → h264 preset {args.preset} crf {args.crf}, app with --workers 1 '
             f'({os.cpu_count()} cores); {expected} frames in')
    print(f'resumed attempt: {line}')
    print_table(('measure', 'value', 'target', 'result'), [
        ('segmented / one pass, wall time', f'{speed:.3f}', '(info)', ''),
        ('segmented size vs one pass', f'{size:+.2%}', f'within {SIZE_TARGET:.0%}', verdict(abs(size) <= SIZE_TARGET)),
        ('after the kill / whole segmented encode', f'{ratio:.3f}', f'<= {RESUME_TARGET}',
         verdict(ratio <= RESUME_TARGET)),
        ('every input frame in each output', str(counts), f'{expected} each',
         verdict(set(counts.values()) == {expected})),
        ('the resumed one has the whole duration', f'{durations["resumed"]:.3f} s', f'{durations["one-pass"]:.3f} s',
         verdict(abs(durations['resumed'] - durations['one-pass']) <= 1 / 25)),
    ])
    print(f'load average at the end: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs '
          f'(wall times are only fair on an idle machine); resumed job: attempt {again["attempts"]}')


if __name__ == '__main__':
    main()
