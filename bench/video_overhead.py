"""What running a transcode as a `video` job costs, against running the same ffmpeg command directly.

One generated clip is transcoded with the same arguments (`ffmpeg.transcode_args`) two ways, interleaved so that
drift in machine load hits both alike: `ffmpeg -y ARGS` with its output discarded, and a `video` job on a real
engine, timed from submit to completed (queueing, probe, `-progress` parsing, logging and the final probe
included). The best of `--repeats` runs counts. Target (issue 5: progress tracking must not slow the work):
job / direct ≤ 1.05.

Wall time is only fair on an otherwise idle machine. CPU time is also measured (ffmpeg's, plus for the job this
process's own: the engine's threads parsing progress, logging, sampling), which other load disturbs less.

    .venv/bin/python bench/video_overhead.py [--seconds 20] [--size 640x360] [--preset medium] [--repeats 3]
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import time
from pathlib import Path

from _common import print_table, running_service, tmp_dir, verdict

from progress_app.kinds import ffmpeg

TARGET_RATIO = 1.05


def make_source(path: Path, seconds: float, size: str) -> Path:
    subprocess.run([ffmpeg.executable(), '-hide_banner', '-nostdin', '-loglevel', 'error', '-y',
                    '-f', 'lavfi', '-i', f'testsrc2=duration={seconds}:size={size}:rate=25',
                    '-f', 'lavfi', '-i', f'sine=frequency=440:duration={seconds}', '-c:v', 'libx264',
                    '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', '-c:a', 'aac', '-shortest', str(path)], check=True)
    return path


def cpu_seconds() -> tuple[float, float]:
    """CPU seconds (user + system) used so far by this process's threads, and by its finished children."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime, children.ru_utime + children.ru_stime


def run_direct(source: Path, output: Path, options: dict[str, str]) -> tuple[float, float]:
    """Wall seconds and ffmpeg's CPU seconds."""
    args = ffmpeg.transcode_args(source, output, **options)
    _, children = cpu_seconds()
    start = time.perf_counter()
    subprocess.run([ffmpeg.executable(), '-hide_banner', '-nostdin', '-y', *args], stdin=subprocess.DEVNULL,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    return time.perf_counter() - start, cpu_seconds()[1] - children


def run_job(service, source: Path, output: Path, options: dict[str, str]) -> tuple[float, float, float, float]:
    """Wall seconds from submit to completed, the encode's own seconds (as the job measured them), the CPU
    seconds of ffmpeg (the encode and two probes) and those of this process (the engine's threads)."""
    own, children = cpu_seconds()
    start = time.perf_counter()
    job = service.submit('video', {'input': str(source), 'output': str(output), **options})
    done = service.wait(job['id'], ['completed', 'failed'], timeout=3600)
    total = time.perf_counter() - start
    if done['status'] != 'completed':
        raise SystemExit(f'the video job failed: {done["error"]}')
    own_after, children_after = cpu_seconds()
    return total, done['result']['encode_seconds'], children_after - children, own_after - own


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--seconds', type=float, default=20, help='length of the test clip (default 20)')
    parser.add_argument('--size', default='640x360', help='frame size of the test clip (default 640x360)')
    parser.add_argument('--codec', default='h264', choices=[c for c in ffmpeg.CODECS], help='(default h264)')
    parser.add_argument('--preset', default='medium', choices=ffmpeg.PRESETS, help='(default medium)')
    parser.add_argument('--repeats', type=int, default=3, help='runs of each way; the best counts (default 3)')
    args = parser.parse_args()
    options = {'codec': args.codec, 'preset': args.preset, 'audio': 'aac'}

    with tmp_dir('video') as work:
        source = make_source(work / 'source.mp4', args.seconds, args.size)
        info = ffmpeg.probe(source)
        direct, direct_cpu, job, encode, job_cpu, engine_cpu = [], [], [], [], [], []
        with running_service(work / 'data', workers=1) as service:
            for i in range(args.repeats):
                wall, cpu = run_direct(source, work / f'direct-{i}.mp4', options)
                direct.append(wall)
                direct_cpu.append(cpu)
                total, inside, cpu, own = run_job(service, source, work / f'job-{i}.mp4', options)
                job.append(total)
                encode.append(inside)
                job_cpu.append(cpu)
                engine_cpu.append(own)
        same = ffmpeg.probe(work / 'direct-0.mp4').duration == ffmpeg.probe(work / 'job-0.mp4').duration

    def runs(values: list[float]) -> str:
        return ' '.join(f'{v:.2f}' for v in values)

    wall_ratio = min(job) / min(direct)
    cpu_ratio = (min(job_cpu) + min(engine_cpu)) / min(direct_cpu)
    print_table(('transcode', 'best s', 'all runs (s)', '×realtime'), [
        ('ffmpeg directly', min(direct), runs(direct), args.seconds / min(direct)),
        ('video job, submit → completed', min(job), runs(job), args.seconds / min(job)),
        ('  of which the encode', min(encode), runs(encode), args.seconds / min(encode)),
        ('CPU: ffmpeg directly', min(direct_cpu), runs(direct_cpu), ''),
        ('CPU: ffmpeg in the job (+2 probes)', min(job_cpu), runs(job_cpu), ''),
        ('CPU: the engine during the job', min(engine_cpu), runs(engine_cpu), ''),
    ], title=f'{info.describe()} → {args.codec} preset {args.preset}, best of {args.repeats}')
    print_table(('ratio', 'value', 'target', 'result'), [
        ('job / direct, wall time', f'{wall_ratio:.3f}', f'<= {TARGET_RATIO}', verdict(wall_ratio <= TARGET_RATIO)),
        ('job / direct, CPU (ffmpeg + engine)', f'{cpu_ratio:.3f}', f'<= {TARGET_RATIO}',
         verdict(cpu_ratio <= TARGET_RATIO)),
        ('encode inside the job / direct, wall', f'{min(encode) / min(direct):.3f}', '(info)', ''),
        ('outputs have the same duration', str(same), 'True', verdict(same)),
    ])
    print(f'load average during the run: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs '
          '(wall times are only fair on an idle machine)')


if __name__ == '__main__':
    main()
