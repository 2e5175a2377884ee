"""The real tools, run as `command` jobs through a real JobService against 127.0.0.1 (a throttled local HTTP
server, local git repositories and folders): live percent, live speed in the job's unit, the bar shown in words,
and a short log. Each test is skipped where the machine lacks its tool."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import wait_until
from tests.tool_fixtures import BYTES_SPEED, RATE, RICH_BAR, SIZE, make_repository, needs


def watch(service, params: dict, timeout: float = 60) -> tuple[list[dict], dict]:
    """Submit a command job and sample it until it ends: (snapshots while it ran with some progress, the end)."""
    job = service.submit('command', params)
    running: list[dict] = []

    def sample() -> bool:
        snap = service.get(job['id'])
        if snap['status'] == 'running' and snap['current']:
            running.append(snap)
        return snap['status'] in ('completed', 'failed', 'cancelled')

    wait_until(sample, timeout=timeout, interval=0.02, message='the command to end')
    done = service.get(job['id'])
    assert done['status'] == 'completed', done['error']
    assert running, 'no progress was seen while the command ran'
    return running, done


def assert_live(running: list[dict], *, unit: str, message: re.Pattern[str] | None = None,
                percent: bool = True) -> None:
    if percent:
        moving = sorted({round(s['progress']) for s in running if 0 < s['progress'] < 100})
        assert moving, f'no percent between 0 and 100 was seen: {[s["progress"] for s in running]}'
    assert {s['unit'] for s in running} == {unit} or (unit == 'objects' and 'objects' in {s['unit'] for s in running})
    assert any(s['speed'] for s in running), 'the job had no speed while it ran'
    if message is not None:
        messages = [s['message'] for s in running]
        assert any(message.search(m) for m in messages), f'no live message like {message.pattern}: {messages}'


def log_lines(service, job_id: int) -> list[str]:
    return service.log(job_id)[0].splitlines()


def short_log(service, job_id: int, meter: str, most: int) -> None:
    lines = [line for line in log_lines(service, job_id) if re.search(meter, line)]
    assert 1 <= len(lines) <= most, f'{len(lines)} log lines for one redrawn display: {lines}'


@needs('curl')
def test_curl_default_meter(service, served, tmp_path):
    url, _ = served
    running, done = watch(service, {'command': ['curl', '-o', str(tmp_path / 'out'), f'{url}/big.bin']})
    assert_live(running, unit='bytes', message=re.compile(r'^\d+(\.\d)? % · ' + BYTES_SPEED.pattern))
    assert done['current'] == done['total'] == pytest.approx(SIZE, rel=0.01)
    short_log(service, done['id'], r'^\s*\d+\s+\S+\s+\d+\s+\S+\s+\d+', 4)


@needs('curl')
def test_curl_hash_bar(service, served, tmp_path):
    url, _ = served
    running, done = watch(service, {'command': ['curl', '-#', '-o', str(tmp_path / 'out'), f'{url}/big.bin']})
    assert_live(running, unit='%', message=re.compile(r'^\d+(\.\d)? %$'))
    assert not any('#' in s['message'] for s in running), 'the bar is shown in words, not as characters'
    assert done['progress'] == 100
    short_log(service, done['id'], r'#', 3)


@needs('wget')
def test_wget_bar(service, served, tmp_path):
    url, _ = served
    running, done = watch(service, {'command': ['wget', '--progress=bar:force', '-O', str(tmp_path / 'out'),
                                                f'{url}/big.bin']})
    assert_live(running, unit='bytes', message=re.compile(r'^\d+ % · ' + BYTES_SPEED.pattern))
    assert done['progress'] == 100
    short_log(service, done['id'], r'\]\s+[\d.]+[KMG]?\s', 4)


@needs('yt-dlp')
def test_yt_dlp(service, served, tmp_path):
    url, _ = served
    running, done = watch(service, {'command': ['yt-dlp', '--no-part', '-o', str(tmp_path / 'out.bin'),
                                                f'{url}/big.bin']})
    assert_live(running, unit='bytes', message=re.compile(r'^\d+(\.\d)? % · ' + BYTES_SPEED.pattern))
    assert done['progress'] == 100
    short_log(service, done['id'], r'^\[download\]\s+[\d.]+%', 4)


@needs('curl', 'dd')
def test_dd_status_progress_has_bytes_and_speed_but_no_total(service, served, tmp_path):
    url, _ = served
    running, done = watch(service, {'command': f'curl -sS {url}/big.bin | dd of={tmp_path / "out"} bs=64k '
                                               'status=progress', 'shell': True})
    assert_live(running, unit='bytes', percent=False, message=re.compile(r'^[\d.]+ [kMG]?B · ' + BYTES_SPEED.pattern))
    assert all(s['total'] is None for s in running)
    assert done['current'] == SIZE


@needs('rsync')
def test_rsync_progress2(service, tmp_path):
    source, dest = tmp_path / 'src', tmp_path / 'dst'
    source.mkdir()
    for name in ('a.bin', 'b.bin'):
        (source / name).write_bytes(os.urandom(SIZE // 2))
    running, done = watch(service, {'command': ['rsync', '-a', '--info=progress2', f'--bwlimit={RATE // 1000}',
                                                f'{source}/', f'{dest}/']})
    assert_live(running, unit='bytes', message=re.compile(r'^\d+ % · ' + BYTES_SPEED.pattern))
    assert done['current'] == SIZE and done['progress'] == 100
    short_log(service, done['id'], r'\d+%\s+[\d.]+[kMG]?B/s', 4)


@needs('pv')
def test_pv(service, tmp_path):
    source = tmp_path / 'a.bin'
    source.write_bytes(os.urandom(SIZE))
    running, done = watch(service, {'command': f'pv -f -L {RATE} {source} > /dev/null', 'shell': True})
    assert_live(running, unit='bytes', message=re.compile(r'^\d+ % · ' + BYTES_SPEED.pattern))
    assert done['progress'] == 100
    short_log(service, done['id'], r'B/s\]', 3)


@needs('git', 'pv')
def test_git_clone_and_fetch(service, tmp_path):
    origin = make_repository(tmp_path / 'origin.git')
    # The git protocol over a pipe slowed by pv: git prints its speed after a second of receiving.
    remote = f'ext::sh -c git% upload-pack% {origin}% |% pv% -q% -L% {RATE // 2}'
    running, done = watch(service, {'command': ['git', '-c', 'protocol.ext.allow=always', 'clone', '--progress',
                                                remote, str(tmp_path / 'clone')]})
    assert_live(running, unit='objects',
                message=re.compile(r'^Receiving objects · \d+(\.\d)? % · ' + BYTES_SPEED.pattern))
    assert done['message'].startswith('Resolving deltas') or done['message'].startswith('Receiving objects')
    short_log(service, done['id'], r'Receiving objects:', 3)

    work = tmp_path / 'origin.work'
    for i in range(100):
        (work / f'g{i}.bin').write_bytes(os.urandom(40_000))
    git = ['git', '-c', 'user.name=t', '-c', 'user.email=t@t', '-C', str(work)]
    subprocess.run([*git, 'add', '.'], check=True)
    subprocess.run([*git, 'commit', '-qm', 'more'], check=True)
    subprocess.run([*git, 'push', '-q', str(origin), 'HEAD'], check=True)
    running, done = watch(service, {'command': ['git', '-c', 'protocol.ext.allow=always', 'fetch', '--progress',
                                                remote], 'cwd': str(tmp_path / 'clone')})
    assert_live(running, unit='objects', message=re.compile(r'^Receiving objects · \d+(\.\d)? %'))


def make_wheel(folder: Path, size: int) -> Path:
    """A real (installable) wheel of `size` random bytes."""
    import base64
    import hashlib
    import zipfile
    files = {'bigpkg/__init__.py': b'', 'bigpkg/blob.bin': os.urandom(size),
             'bigpkg-1.0.dist-info/METADATA': b'Metadata-Version: 2.1\nName: bigpkg\nVersion: 1.0\n',
             'bigpkg-1.0.dist-info/WHEEL': b'Wheel-Version: 1.0\nGenerator: t\nRoot-Is-Purelib: true\n'
                                           b'Tag: py3-none-any\n'}
    path = folder / 'bigpkg-1.0-py3-none-any.whl'
    record = []
    with zipfile.ZipFile(path, 'w', zipfile.ZIP_STORED) as wheel:
        for name, data in files.items():
            wheel.writestr(name, data)
            digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b'=').decode()
            record.append(f'{name},sha256={digest},{len(data)}')
        wheel.writestr('bigpkg-1.0.dist-info/RECORD', '\n'.join([*record, 'bigpkg-1.0.dist-info/RECORD,,', '']))
    return path


@pytest.mark.parametrize('action', ['download', 'install'])
def test_pip_rich_bar(service, served, tmp_path, action):
    url, root = served
    make_wheel(root, SIZE)
    where = ['-d', str(tmp_path / 'dl')] if action == 'download' else ['--target', str(tmp_path / 'site')]
    running, done = watch(service, {'command': [sys.executable, '-m', 'pip', action, '--no-index',
                                                '--disable-pip-version-check', '--no-cache-dir',
                                                '--find-links', f'{url}/', 'bigpkg', *where]})
    assert_live(running, unit='bytes', message=re.compile(r'^\d+(\.\d)? % · ' + BYTES_SPEED.pattern))
    assert not any('━' in s['message'] for s in running), 'the bar is shown in words, not as characters'
    assert done['message'].startswith('Successfully')
    short_log(service, done['id'], r'━', 3)


def test_rich_progress_bar(service):
    pytest.importorskip('rich')
    running, done = watch(service, {'command': [sys.executable, '-c', RICH_BAR]})
    assert_live(running, unit='bytes', message=re.compile(r'^Fetching · \d+(\.\d)? % · ' + BYTES_SPEED.pattern))
    assert done['progress'] == 100
    short_log(service, done['id'], r'━', 3)


def test_tqdm_bytes_bar(service):
    code = '''
import time
from tqdm import tqdm
with tqdm(total=30_000_000, unit='B', unit_scale=True, desc='upload', mininterval=0.1) as bar:
    for _ in range(60):
        time.sleep(0.05)
        bar.update(500_000)
'''
    running, done = watch(service, {'command': [sys.executable, '-c', code]})
    assert_live(running, unit='bytes', message=re.compile(r'^upload · \d+(\.\d)? % · ' + BYTES_SPEED.pattern))
    short_log(service, done['id'], r'upload:', 4)


@needs('7z')
def test_7z(service, tmp_path):
    source = tmp_path / 'a.bin'
    source.write_bytes(os.urandom(SIZE * 2))
    running, done = watch(service, {'command': ['7z', 'a', '-bsp1', '-mx=9', str(tmp_path / 'a.7z'), str(source)]})
    assert_live(running, unit='%', message=re.compile(r'a\.bin · \d+ %'))
    assert done['message'] == 'Everything is Ok'


@needs('HandBrakeCLI')
def test_handbrake(service, tmp_path):
    from tests.kinds.media import make_video
    clip = make_video(tmp_path / 'clip.mp4', seconds=12, size='640x480', pattern='testsrc2', audio=False)
    running, done = watch(service, {'command': ['HandBrakeCLI', '-i', str(clip), '-o', str(tmp_path / 'out.mp4'),
                                                '-e', 'x264', '--encoder-preset', 'slow']}, timeout=120)
    assert_live(running, unit='%', message=re.compile(r'^Encoding · \d+(\.\d)? %( · [\d.]+ fps)?$'))
    # (HandBrake adds its fps only after a few seconds of encoding: the capture test checks that part)
    short_log(service, done['id'], r'^Encoding: task', 4)
