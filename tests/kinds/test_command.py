"""The `command` kind end to end: real child processes through a real JobService on SQLite, no mocks."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from progress_app.errors import InvalidParams
from progress_app.runtime.engine import process
from tests.helpers import wait_until

PY = sys.executable


def python(code: str) -> list[str]:
    return [PY, '-c', code]


def proc_state(pid: int) -> str | None:
    """The state letter of a process ('R', 'S', 'T' stopped, 'Z' zombie), or None if it is gone."""
    try:
        stat = Path(f'/proc/{pid}/stat').read_text()
    except FileNotFoundError:
        return None
    return stat.rsplit(')', 1)[1].split()[0]


def group_members(pgid: int) -> dict[int, str]:
    """Live (non-zombie) processes of a process group, with their states."""
    members = {}
    for entry in Path('/proc').iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / 'stat').read_text().rsplit(')', 1)[1].split()
        except (FileNotFoundError, ProcessLookupError):
            continue
        if int(fields[2]) == pgid and fields[0] != 'Z':
            members[int(entry.name)] = fields[0]
    return members


def group_gone(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return True
    return False


def assert_group_gone(pgid: int) -> None:
    wait_until(lambda: not group_members(pgid), timeout=2, message=lambda: f'group {pgid}: {group_members(pgid)}')
    # Orphaned grandchildren are reaped by PID 1 (in some containers only every second or two): until then they
    # are zombies, which killpg still counts.
    wait_until(lambda: group_gone(pgid), timeout=10, interval=0.05, message=f'process group {pgid} to be gone')


def running_pgid(service, job_id: int) -> int:
    return wait_until(lambda: service.job(job_id).process_group, timeout=5, message='the child process to start')


COUNT_PERCENT = '''
import time
for i in range(1, 11):
    print(f'{i * 10}%')
    time.sleep(0.08)
'''


def test_percent_output_is_reported_live_logged_and_ends_at_100(service):
    job = service.submit('command', {'command': python(COUNT_PERCENT)})
    seen: list[float] = []

    def sample() -> bool:
        snap = service.get(job['id'])
        seen.append(snap['progress'])
        return snap['status'] in ('completed', 'failed')

    wait_until(sample, timeout=10, interval=0.005)
    done = service.get(job['id'])
    assert done['status'] == 'completed', done['error']
    assert done['progress'] == 100
    assert done['result'] == {'exit_code': 0}
    intermediate = sorted({p for p in seen if 0 < p < 100})
    assert len(intermediate) >= 4, f'progress should be seen moving, not only {sorted(set(seen))}'
    assert set(intermediate) <= {10.0, 20.0, 30.0, 40.0, 50.0, 60.0, 70.0, 80.0, 90.0}
    assert seen == sorted(seen)
    text, _ = service.log(job['id'])
    assert [line for line in text.splitlines() if line.endswith('%')] == [f'{i * 10}%' for i in range(1, 11)]


def test_failing_command_names_its_exit_code_and_last_output(service):
    code = '''
import sys
for i in range(30):
    print(f'working on item {i}')
print('boom: the disk is full', file=sys.stderr)
sys.exit(3)
'''
    job = service.submit('command', {'command': python(code)})
    failed = service.wait(job['id'], ['completed', 'failed'], timeout=10)
    assert failed['status'] == 'failed'
    assert failed['error'] == 'CommandFailed: exit code 3'
    output = failed['traceback']
    assert 'boom: the disk is full' in output and 'working on item 29' in output
    assert 'working on item 5\n' not in output, 'only the last lines are kept'
    assert 'boom: the disk is full' in service.log(job['id'])[0]
    assert [e['type'] for e in service.events(job['id'])][-1] == 'failed'


def test_a_non_zero_exit_is_one_line_in_the_log_and_a_bug_is_a_traceback(service):
    job = service.submit('command', {'command': python('import sys; print("hi"); sys.exit(3)')})
    assert service.wait(job['id'], ['completed', 'failed'], timeout=10)['status'] == 'failed'
    log = service.log(job['id'])[0]
    assert 'Traceback' not in log and 'runner.py' not in log and 'command.py' not in log, log
    assert [line for line in log.splitlines() if line.startswith('[progress-app] failed:')] == [
        '[progress-app] failed: CommandFailed: exit code 3'], log
    bug = service.submit('demo', {'items': 2, 'item_seconds': 0, 'fail_at_item': 1})
    assert service.wait(bug['id'], ['completed', 'failed'], timeout=10)['status'] == 'failed'
    assert 'Traceback (most recent call last)' in service.log(bug['id'])[0], 'a bug keeps its traceback'


def test_a_redrawn_progress_bar_does_not_push_the_error_out_of_the_message(service):
    code = r'''
import sys
print('loading model')
for i in range(1, 51):
    sys.stdout.write(f'\rframe {i}/50')
sys.stdout.write('\nfatal: frame 50 is corrupt\n')
sys.exit(2)
'''
    job = service.submit('command', {'command': python(code)})
    failed = service.wait(job['id'], ['completed', 'failed'], timeout=10)
    assert failed['status'] == 'failed'
    assert failed['traceback'].endswith('last output:\nloading model\nframe 50/50\nfatal: frame 50 is corrupt')


def test_command_killed_by_a_signal_says_so(service):
    job = service.submit('command', {'command': python('import os, signal; os.kill(os.getpid(), signal.SIGKILL)')})
    failed = service.wait(job['id'], ['completed', 'failed'], timeout=10)
    assert failed['status'] == 'failed'
    assert failed['error'] == 'CommandFailed: killed by SIGKILL (exit code -9)' and failed['traceback'].endswith(
        'no output')


def test_progress_bar_redrawn_with_carriage_returns_is_read_live(service):
    code = '''
import sys, time
from tqdm import tqdm
for _ in tqdm(range(20), file=sys.stderr, mininterval=0, miniters=1, unit='frames'):
    time.sleep(0.04)
'''
    job = service.submit('command', {'command': python(code)})
    currents: set[float] = set()

    def sample() -> bool:
        snap = service.get(job['id'])
        if snap['status'] == 'running' and snap['total'] == 20:
            currents.add(snap['current'])
        return snap['status'] in ('completed', 'failed')

    wait_until(sample, timeout=10, interval=0.005)
    done = service.get(job['id'])
    assert done['status'] == 'completed', done['error']
    assert done['progress'] == 100 and done['unit'] == 'frames'
    assert len(currents & set(range(1, 20))) >= 4, f'tqdm redraws should be seen live, saw {sorted(currents)}'
    text, _ = service.log(job['id'])
    assert '| 20/20 [' in text, 'each redraw is its own log line'


def test_manual_carriage_returns_without_a_newline_are_read_before_the_line_ends(service):
    code = '''
import sys, time
sys.stdout.write('\\rstep 3/8')
sys.stdout.flush()
time.sleep(30)
'''
    job = service.submit('command', {'command': python(code)})
    wait_until(lambda: service.get(job['id'])['current'] == 3 and service.get(job['id'])['total'] == 8, timeout=5)
    pgid = running_pgid(service, job['id'])
    assert service.cancel(job['id'])['status'] == 'cancelled'
    assert_group_gone(pgid)


def test_json_lines_set_progress_unit_and_message(service):
    code = '''
import json
for i in range(1, 4):
    print(json.dumps({'current': i, 'total': 3, 'unit': 'files', 'message': f'file {i}.jpg'}))
print(json.dumps({'message': 'writing the report'}))
'''
    job = service.submit('command', {'command': python(code)})
    done = service.wait(job['id'], ['completed', 'failed'], timeout=10)
    assert done['status'] == 'completed', done['error']
    assert (done['current'], done['total'], done['unit']) == (3, 3, 'files')
    assert done['message'] == 'writing the report'


def test_the_latest_output_line_is_the_status_message(service):
    code = '''
import json
print('rendering page 1/2')
print(json.dumps({'progress': 0.75}))
print('\\x1b[32mwriting the PDF\\x1b[0m   ')
'''
    job = service.submit('command', {'command': python(code)})
    done = service.wait(job['id'], ['completed', 'failed'], timeout=10)
    assert done['status'] == 'completed', done['error']
    assert done['message'] == 'writing the PDF'  # colour codes and spaces gone; the JSON line left it alone


def test_custom_regex_reads_progress_live(service):
    code = '''
import time
print('2024/11/23 starting, 1/0 warnings')
print('frame 4 of 10')
time.sleep(30)
'''
    job = service.submit('command', {'command': python(code),
                                     'progress_regex': r'frame (?P<current>\d+) of (?P<total>\d+)'})
    wait_until(lambda: (service.get(job['id'])['current'], service.get(job['id'])['total']) == (4, 10), timeout=5)
    assert service.get(job['id'])['progress'] == 40
    assert service.cancel(job['id'])['status'] == 'cancelled'


def lines_written(pid: int) -> int:
    """How many whole lines of COUNT_FOREVER's ('1/100000', '2/100000', …) the process has written so far."""
    written = int(next(line.split()[1] for line in Path(f'/proc/{pid}/io').read_text().splitlines()
                       if line.startswith('wchar:')))
    lines = 0
    while written >= len(f'{lines + 1}/100000\n'):
        lines += 1
        written -= len(f'{lines}/100000\n')
    return lines


COUNT_FOREVER = '''
import time
for i in range(1, 100_000):
    print(f'{i}/100000')
    time.sleep(0.01)
'''


def test_pause_stops_the_child_resume_continues_and_cancel_leaves_nothing(service):
    job = service.submit('command', {'command': python(COUNT_FOREVER)})
    live = service.job(job['id'])
    pid = running_pgid(service, job['id'])
    wait_until(lambda: live.progress.current >= 5, timeout=5)

    asked = time.monotonic()
    assert service.pause(job['id'])['status'] == 'paused'
    wait_until(lambda: proc_state(pid) == 'T', timeout=0.5, interval=0.005, message='the child to be stopped')
    assert time.monotonic() - asked < 0.5
    # Stopped, the child writes nothing more; once the job has counted every line it wrote before the stop (the
    # bytes it wrote, from /proc, are lines '1/100000\n' … 'n/100000\n'), nothing is left that could move it.
    written = lines_written(pid)
    wait_until(lambda: live.progress.current == written, timeout=2, message=lambda: (
        f'the job to count the {written} lines written before the stop (it has {live.progress.current})'))
    paused_at = live.progress.current
    assert lines_written(pid) == written and proc_state(pid) == 'T' and live.status.value == 'paused'

    assert service.resume(job['id'])['status'] == 'running'
    wait_until(lambda: proc_state(pid) not in ('T', None), timeout=0.5, interval=0.005)
    after: list[float] = []
    wait_until(lambda: after.append(live.progress.current) or after[-1] >= paused_at + 5, timeout=5)
    assert min(after) >= paused_at, 'the same process goes on where it stopped; it is not restarted'
    assert live.process_group == pid

    assert service.cancel(job['id'])['status'] == 'cancelled'
    assert_group_gone(pid)
    types = [e['type'] for e in service.events(job['id'])]
    assert types.index('paused') < types.index('resumed') < types.index('cancelled')


def test_cancel_of_a_shell_command_kills_its_grandchildren(service):
    job = service.submit('command', {'command': 'sleep 100 & sleep 100', 'shell': True})
    pgid = running_pgid(service, job['id'])
    wait_until(lambda: len(group_members(pgid)) >= 2, timeout=5, message='the shell to start both sleeps')
    members = set(group_members(pgid))
    asked = time.monotonic()
    assert service.cancel(job['id'])['status'] == 'cancelled'
    assert time.monotonic() - asked < 2
    assert_group_gone(pgid)
    assert all(proc_state(pid) in (None, 'Z') for pid in members)
    assert '[progress-app] cancelled' in service.log(job['id'])[0]


def test_pause_stops_grandchildren_too_and_a_paused_command_can_be_cancelled(service):
    job = service.submit('command', {'command': f'sleep 100 & {PY} -c "import time; time.sleep(100)"',
                                     'shell': True})
    pgid = running_pgid(service, job['id'])
    wait_until(lambda: len(group_members(pgid)) >= 2, timeout=5, message='the shell to start both children')
    assert service.pause(job['id'])['status'] == 'paused'
    wait_until(lambda: set(group_members(pgid).values()) == {'T'}, timeout=0.5, interval=0.005,
               message=lambda: f'every process of the group to be stopped: {group_members(pgid)}')
    assert service.cancel(job['id'])['status'] == 'cancelled'
    assert_group_gone(pgid)


def test_background_leftovers_do_not_hang_the_job(service):
    """`cmd &` keeps the output pipes open after the shell exits: the job still ends, and takes the leftover with it."""
    asked = time.monotonic()
    job = service.submit('command', {'command': 'sleep 60 & echo started', 'shell': True})
    pgid = running_pgid(service, job['id'])
    done = service.wait(job['id'], ['completed', 'failed'], timeout=10)
    assert done['status'] == 'completed', done['error']
    assert time.monotonic() - asked < process.LEFTOVER_GRACE_SECONDS + 2
    assert 'started' in service.log(job['id'])[0]
    assert_group_gone(pgid)


def test_shell_line_with_cwd_and_env(service, tmp_path):
    work = tmp_path / 'work dir'
    work.mkdir()
    (work / 'input.txt').write_text('alpha\nbeta\n')
    job = service.submit('command', {'command': 'echo "$GREETING from $(pwd)" | tr a-z A-Z && wc -l < input.txt',
                                     'shell': True, 'cwd': str(work), 'env': {'GREETING': 'hello'}})
    done = service.wait(job['id'], ['completed', 'failed'], timeout=10)
    assert done['status'] == 'completed', done['error']
    text, _ = service.log(job['id'])
    assert f'HELLO FROM {str(work).upper()}' in text
    assert '\n2\n' in text


def test_without_shell_a_line_is_split_and_not_interpreted(service, tmp_path):
    job = service.submit('command', {'command': f'{PY} -c "import sys; print(sys.argv[1:])" "a b" \'|\' $HOME'})
    done = service.wait(job['id'], ['completed', 'failed'], timeout=10)
    assert done['status'] == 'completed', done['error']
    assert "['a b', '|', '$HOME']" in service.log(job['id'])[0]


def test_program_relative_to_cwd_and_on_the_jobs_own_path(service, tmp_path):
    tools = tmp_path / 'tools'
    tools.mkdir()
    script = tools / 'my-tool'
    script.write_text('#!/bin/sh\necho "tool ran in $(pwd) with $MODE"\n')
    script.chmod(0o755)
    env = {'PATH': f'{tools}{os.pathsep}{os.environ["PATH"]}', 'MODE': 'fast'}
    by_path = service.submit('command', {'command': ['my-tool'], 'env': env, 'cwd': str(tmp_path)})
    relative = service.submit('command', {'command': './my-tool', 'cwd': str(tools), 'env': {'MODE': 'slow'}})
    for job, expected in ((by_path, f'tool ran in {tmp_path} with fast'), (relative, f'tool ran in {tools} with slow')):
        done = service.wait(job['id'], ['completed', 'failed'], timeout=10)
        assert done['status'] == 'completed', done['error']
        assert expected in service.log(job['id'])[0]


@pytest.mark.parametrize(('params', 'expected'), [
    ({'command': ['true'], 'cwd': '/no/such/folder'}, "params.cwd: the folder '/no/such/folder' does not exist"),
    ({'command': ['no-such-program-4711']}, "program 'no-such-program-4711' was not found"),
    ({'command': 'no-such-program-4711 --help'}, "program 'no-such-program-4711' was not found"),
    ({'command': './missing.sh', 'cwd': '/'}, "program './missing.sh' was not found"),
    ({'command': '/'}, "program '/' was not found"),
    ({'command': ''}, 'params.command: must name a program to run'),
    ({'command': '   '}, 'params.command: must name a program to run'),
    ({'command': []}, 'params.command: must name a program to run'),
    ({'command': ['', '-x']}, 'params.command: must name a program to run'),
    ({'command': '', 'shell': True}, 'params.command: must name a program to run'),
    ({'command': ['true'], 'progress_regex': r'(?P<percent>\d+'}, 'not a valid regular expression'),
    ({'command': ['true'], 'progress_regex': r'\d+%'}, "needs a named group 'percent'"),
    ({'command': ['true'], 'progress_regex': r'(?P<current>\d+) done'}, "needs both the named groups"),
    ({'command': "echo 'unbalanced"}, 'cannot split the command line: No closing quotation'),
    ({'command': "echo 'unbalanced", 'shell': True}, 'the shell cannot parse the line'),
    ({'command': 'echo (', 'shell': True}, 'the shell cannot parse the line'),
    ({'command': ['true'], 'env': {'A=B': 'x'}}, 'not a valid environment variable'),
    ({'command': ['true'], 'shell': 'maybe'}, 'params.shell'),
    ({'command': ['true'], 'sheel': True}, 'params.sheel'),
])
def test_invalid_params_are_refused_and_nothing_is_stored(service, params, expected):
    before = service.list()['total']
    with pytest.raises(InvalidParams) as caught:
        service.submit('command', params)
    assert expected in str(caught.value)
    assert service.list()['total'] == before


def test_shell_check_does_not_run_the_line(service, tmp_path):
    marker = tmp_path / 'ran'
    with pytest.raises(InvalidParams):
        service.submit('command', {'command': f"touch {marker}; echo 'oops", 'shell': True})
    assert not marker.exists()


def test_reader_splits_lines_on_newlines_and_carriage_returns():
    popen = process.spawn([PY, '-c', r'''
import sys, os
os.write(1, b'one\r\ntwo\rthree\n\n')
os.write(2, b'err line\n')
os.write(1, b'caf\xc3')
os.write(1, b'\xa9 no newline at the end')
'''], shell=False, cwd=None, env=None)
    lines: list[tuple[str, str]] = []
    process.pump_lines(popen, lambda text, stream: lines.append((text, stream)))
    assert popen.wait() == 0
    assert [t for t, s in lines if s == 'out'] == ['one', 'two', 'three', 'café no newline at the end']
    assert [t for t, s in lines if s == 'err'] == ['err line']
    assert popen.stdout.closed and popen.stderr.closed


def test_reader_passes_on_a_huge_line_in_pieces():
    popen = process.spawn([PY, '-c', f'import sys; sys.stdout.write("x" * {3 * process.MAX_LINE_BYTES})'],
                          shell=False, cwd=None, env=None)
    sizes: list[int] = []
    process.pump_lines(popen, lambda text, stream: sizes.append(len(text)))
    assert popen.wait() == 0
    assert sum(sizes) == 3 * process.MAX_LINE_BYTES
    assert max(sizes) <= process.MAX_LINE_BYTES + 65536


def test_child_dies_with_the_app(tmp_path):
    """The child gets SIGKILL when the process that started it dies (Linux parent-death signal)."""
    if not sys.platform.startswith('linux'):
        pytest.skip('parent-death signal is Linux only')
    code = '''
import sys
from progress_app.runtime.engine import process
child = process.spawn(['sleep', '60'], shell=False, cwd=None, env=None)
print(child.pid, flush=True)
'''
    out = subprocess.run([PY, '-c', code], capture_output=True, text=True, timeout=10, check=True,
                         cwd=Path(__file__).resolve().parents[2])
    child = int(out.stdout.split()[0])
    wait_until(lambda: proc_state(child) in (None, 'Z'), timeout=5, message='the orphaned child to be killed')


ONCE_SLOW = '''
import pathlib, sys, time
marker = pathlib.Path(sys.argv[1])
if marker.exists():
    print('second run: quick')
else:
    marker.write_text('x')
    print('first run: slow', flush=True)
    time.sleep(60)
'''


@pytest.mark.parametrize(('on_interrupt', 'expected'), [('rerun', 'completed'), ('fail', 'failed')])
def test_restart_of_the_app_reruns_or_fails_the_command(make_service, tmp_path, on_interrupt, expected):
    data = tmp_path / 'data'
    first = make_service(data_dir=data)
    job = first.submit('command', {'command': [*python(ONCE_SLOW), str(tmp_path / 'marker')],
                                   'on_interrupt': on_interrupt})
    pgid = running_pgid(first, job['id'])
    wait_until(lambda: 'first run' in first.log(job['id'])[0], timeout=5)
    first.shutdown()
    assert_group_gone(pgid)

    second = make_service(data_dir=data)
    done = second.wait(job['id'], ['completed', 'failed'], timeout=10)
    assert done['status'] == expected, done['error']
    if expected == 'completed':
        assert done['attempts'] == 2 and 'second run: quick' in second.log(job['id'])[0]
    else:
        assert 'on_interrupt' in done['error']
