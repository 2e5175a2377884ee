"""No process of a job outlives the app: the reaper kills job process groups when the app dies (SIGKILL too), and
the next start kills what a previous run recorded and left, but never a group that only reuses the number."""

from __future__ import annotations

import contextlib
import os
import random
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from progress_app.runtime.engine import process
from progress_app.runtime.engine.orphans import Orphans
from progress_app.runtime.engine.reaper import MARKER_VAR
from tests.helpers import ROOT, wait_until

pytestmark = pytest.mark.skipif(not sys.platform.startswith('linux'), reason='reads /proc')


def with_argv(text: str) -> list[int]:
    """Live processes whose command line contains `text`."""
    found = []
    for name in os.listdir('/proc'):
        if name.isdigit():
            try:
                if text.encode() in Path(f'/proc/{name}/cmdline').read_bytes():
                    found.append(int(name))
            except OSError:
                continue
    return found


def environ(pid: int) -> dict[str, str]:
    entries = Path(f'/proc/{pid}/environ').read_bytes().decode(errors='replace').split('\0')
    return dict(entry.split('=', 1) for entry in entries if '=' in entry)


@pytest.fixture
def tag() -> Iterator[str]:
    """A unique number to put in a test's sleeps (`sleep 1003.<tag>`); whatever still has it is killed at the end."""
    tag = str(random.randrange(10**8, 10**9))
    yield tag
    for pid in with_argv(tag):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


def sleeping(seconds: str) -> list[int]:
    """The `sleep <seconds>` processes (not the shell that started them)."""
    return with_argv(f'sleep\0{seconds}\0')


def both_sleeps(tag: str) -> bool:
    return bool(sleeping(f'1003.{tag}') and sleeping(f'1004.{tag}'))


def test_background_children_of_a_command_die_with_a_killed_app(app_process, tag):
    app = app_process()
    job = app.submit('command', {'command': f'sleep 1003.{tag} & sleep 1004.{tag}', 'shell': True})
    wait_until(lambda: both_sleeps(tag), message='both sleeps to run')
    wait_until(lambda: app.job(job['id'])['status'] == 'running')
    app.kill()
    wait_until(lambda: not with_argv(tag), timeout=10,
               message=lambda: f'the job processes to die with the app; left: {with_argv(tag)}')
    wait_until(lambda: not any((app.data_dir / 'run').iterdir()), timeout=5, message='the records to be deleted')


def test_a_paused_job_dies_with_a_killed_app_too(app_process, tag):
    app = app_process()
    job = app.submit('command', {'command': f'sleep 1003.{tag} & sleep 1004.{tag}', 'shell': True})
    wait_until(lambda: both_sleeps(tag), message='both sleeps to run')
    wait_until(lambda: app.client.post(f'/api/jobs/{job["id"]}/pause').status_code == 200)
    wait_until(lambda: app.job(job['id'])['status'] == 'paused')
    app.kill()
    wait_until(lambda: not with_argv(tag), timeout=10,
               message=lambda: f'the stopped job processes to die with the app; left: {with_argv(tag)}')


KILLED_HOST = '''
import os, signal, sys
from pathlib import Path
from progress_app.runtime.engine import process
from progress_app.runtime.engine.orphans import Orphans

run_dir, tag = Path(sys.argv[1]), sys.argv[2]
orphans = Orphans(run_dir, 'host')
first = process.spawn(f'sleep 1003.{tag} & sleep 1004.{tag}', shell=True, cwd=None, env=None, orphans=orphans,
                      job_id=1)
print(first.pid, flush=True)
sys.stdin.readline()  # the test kills the reaper
second = process.spawn(f'sleep 1005.{tag} & sleep 1006.{tag}', shell=True, cwd=None, env=None, orphans=orphans,
                       job_id=2)
print(second.pid, flush=True)
sys.stdin.readline()
os.kill(os.getpid(), signal.SIGKILL)
'''


def reapers_of(parent: int) -> list[int]:
    return [pid for pid in with_argv('reaper.py')
            if Path(f'/proc/{pid}/stat').read_text().rsplit(')', 1)[1].split()[1] == str(parent)]


def test_a_killed_reaper_is_replaced_and_the_new_one_knows_every_group(tmp_path, tag):
    with subprocess.Popen([sys.executable, '-c', KILLED_HOST, str(tmp_path / 'run'), tag], cwd=ROOT,
                          stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True) as host:
        assert host.stdin is not None and host.stdout is not None
        host.stdout.readline()
        wait_until(lambda: both_sleeps(tag))
        [reaper] = wait_until(lambda: reapers_of(host.pid))
        os.kill(reaper, signal.SIGKILL)
        wait_until(lambda: not reapers_of(host.pid))  # a zombie has no command line
        host.stdin.write('go on\n')
        host.stdin.flush()
        host.stdout.readline()
        wait_until(lambda: with_argv(f'1006.{tag}'))
        assert wait_until(lambda: reapers_of(host.pid)) != [reaper]
        host.stdin.write('die\n')
        host.stdin.flush()
        assert host.wait(10) == -signal.SIGKILL
        wait_until(lambda: not with_argv(tag), timeout=10,
                   message=lambda: f'both jobs to die with their host; left: {with_argv(tag)}')


def test_exit_codes_output_and_environment_pass_through(tmp_path):
    orphans = Orphans(tmp_path / 'run', 'key')
    popen = process.spawn(f'echo "$X/${MARKER_VAR}"; kill -TERM $$', shell=True, cwd=None,
                          env={**os.environ, 'X': 'kept'}, orphans=orphans, job_id=7)
    assert (tmp_path / 'run' / f'{popen.pid}.7').read_text() == 'key:7'
    lines: list[str] = []
    process.pump_lines(popen, lambda text, stream: lines.append(text))
    assert popen.wait() == -signal.SIGTERM
    assert lines == ['kept/key:7']
    wait_until(lambda: not any((tmp_path / 'run').iterdir()), timeout=5,
               message='the record to be deleted once the group ended')


def test_start_kills_a_recorded_leftover_group_but_not_one_without_the_marker(make_service, tmp_path, tag):
    run = tmp_path / 'data' / 'run'
    run.mkdir(parents=True)
    marked = subprocess.Popen(['sleep', f'1003.{tag}'], start_new_session=True,
                              env={**os.environ, MARKER_VAR: 'earlier:3'})
    unmarked = subprocess.Popen(['sleep', f'1004.{tag}'], start_new_session=True)  # reused the number, say
    try:
        (run / f'{marked.pid}.3').write_text('earlier:3')
        (run / f'{unmarked.pid}.4').write_text('earlier:4')
        make_service(data_dir=tmp_path / 'data')
        wait_until(lambda: marked.poll() is not None, timeout=1, message='the marked leftover to be killed')
        assert marked.returncode == -signal.SIGTERM
        assert unmarked.poll() is None
        assert not any(run.iterdir())
    finally:
        for child in (marked, unmarked):
            child.kill()
            child.wait()


def test_ffmpeg_of_a_video_job_is_marked_and_recorded(service, tmp_path):
    from tests.kinds.media import make_video

    clip = make_video(tmp_path / 'long.mp4', seconds=20, size='320x240', pattern='testsrc2')
    job = service.submit('video', {'input': str(clip), 'codec': 'h265', 'preset': 'medium'})
    pgid = wait_until(lambda: (live := service.live_job(job['id'])) is not None and live.process_group)
    assert environ(pgid)[MARKER_VAR] == f'{service._engine.key}:{job["id"]}'
    assert (tmp_path / 'data' / 'run' / f'{pgid}.{job["id"]}').exists()
    service.cancel(job['id'])
    service.wait(job['id'], ['cancelled'], timeout=10)
