"""The tools people wrap, read from their real output (captured under captured/, see its README): progress, speed,
the message a bar becomes, and one log line per display instead of one per redraw."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from progress_app.kinds.output_progress import LOG_EVERY_SECONDS, OutputReader, Update, parse_line

CAPTURED = Path(__file__).parent / 'captured'
MB = 1e6
MIB = 1024.0 ** 2


def output_lines(name: str) -> list[str]:
    """A captured output split as the process reader splits it: at `\\n`, `\\r\\n` and a lone `\\r`."""
    data = (CAPTURED / name).read_bytes().decode('utf-8', errors='replace')
    return [line for line in re.split(r'\r\n|\r|\n', data) if line]


def replay(name: str) -> tuple[list[Update], list[str]]:
    reader = OutputReader()
    updates = [reader.read(line) for line in output_lines(name)]
    return updates, [text for update in updates for text in update.log] + reader.finish()


def percents(updates: list[Update]) -> list[float]:
    return [u.reading.percent for u in updates if u.reading is not None and u.reading.percent is not None]


@pytest.mark.parametrize(('name', 'unit', 'final', 'seen_message', 'most_log_lines'), [
    ('curl-meter.txt', 'bytes', (28.6 * MIB, 28.6 * MIB), '47.6 % · 10.4 MB/s', 4),
    ('curl-bar.txt', '%', (100, 100), '27.3 %', 2),
    ('wget-bar.txt', 'bytes', (30e6, 30e6), '42 % · 10.5 MB/s', 8),
    ('wget-dot.txt', 'bytes', (30e6, 30e6), '51.2 kB · 666.9 MB/s', 15),
    ('rsync-progress2.txt', 'bytes', (60e6, 60e6), '53 % · 15.4 MB/s', 2),
    ('pv.txt', 'bytes', (38.1 * MIB, 38.1 * MIB), '39 % · 14.5 MB/s', 2),
    ('git-clone.txt', 'deltas', (1, 1), 'Receiving objects · 48 % · 11.2 MB/s', 12),
    ('pip-download.txt', 'bytes', (25 * MB, 25 * MB), '6.4 % · 8.0 MB/s', 7),
    ('rich.txt', 'bytes', (30 * MB, 30 * MB), 'Downloading · 10 % · 32.9 MB/s', 7),
    ('tqdm.txt', 'bytes', (30 * MB, 30 * MB), 'upload · 40 % · 32.8 MB/s', 4),
    ('alive-progress.txt', None, (40, 40), 'Processing · 32.5 %', 3),
    ('enlighten.txt', 'ticks', (40, 40), 'Ticks · 45 % · 0.97 ticks/s', 5),
    ('handbrake.txt', '%', (100, 100), 'Encoding · 78.2 % · 71.3 fps', 10),
    ('yt-dlp.txt', 'bytes', (28.61 * MIB, 28.61 * MIB), '41.9 % · 8.0 MB/s', 6),
])
def test_captured_output_gives_live_progress_speed_and_a_short_log(name, unit, final, seen_message, most_log_lines):
    updates, log = replay(name)
    readings = [u.reading for u in updates if u.reading is not None and u.reading.meter is not None]
    last = [reading for reading in readings if reading.current is not None][-1]
    assert last.unit == unit or (unit is None and last.unit is None)
    assert last.current == pytest.approx(final[0], rel=0.01) and last.total == pytest.approx(final[1], rel=0.01)
    moving = sorted({round(p) for p in percents(updates) if 0 < p < 100})
    assert len(moving) >= 2, f'progress should move through the run, saw {moving}'
    messages = [u.message for u in updates if u.message]
    assert seen_message in messages
    assert not any(set(m) & set('█━#=>|') and '%' not in m for m in messages), 'a bar is never shown as characters'
    assert len(log) <= most_log_lines, f'{len(output_lines(name))} lines logged as {len(log)}:\n' + '\n'.join(log)


def test_dd_reports_bytes_and_speed_without_a_total():
    updates, log = replay('dd-status-progress.txt')
    readings = [u.reading for u in updates if u.reading is not None and u.reading.current is not None]
    assert [(r.current, r.total, r.unit) for r in readings] == [
        (15794176, None, 'bytes'), (31981568, None, 'bytes'), (40000000, None, 'bytes')]
    assert [u.message for u in updates if u.reading is not None] == [
        '15.8 MB · 15.8 MB/s', '32.0 MB · 16.0 MB/s', '40.0 MB · 15.7 MB/s']
    assert log == ['15794176 bytes (16 MB, 15 MiB) copied, 1 s, 15.8 MB/s',  # first and last drawing of the meter
                   '31981568 bytes (32 MB, 30 MiB) copied, 2 s, 16.0 MB/s', '610+1 records in', '610+1 records out',
                   '40000000 bytes (40 MB, 38 MiB) copied, 2.54553 s, 15.7 MB/s']


def test_7z_redrawn_with_backspaces_shows_its_last_drawing():
    (line,) = [line for line in output_lines('7z.txt') if '\x08' in line and '%' in line]
    reading = parse_line(line)
    assert reading is not None and reading.meter == '7z' and reading.unit == '%'
    # the live reader gets the drawings one by one (the process reader passes on a line that pauses)
    drawings = [part for part in re.split('\x08+', line) if part.strip()]
    values = [r.current for r in map(parse_line, drawings) if r is not None and r.meter == '7z']
    assert len(values) >= 10 and values == sorted(values) and values[-1] >= 90
    assert parse_line(drawings[5]).label in ('src/a.bin', 'src/b.bin')
    assert OutputReader().read(line).log == ['97% 1 + src/b.bin'], 'logged as the terminal shows it, not as \\b codes'


def test_git_phases_are_logged_once_each_in_order():
    _, log = replay('git-clone.txt')
    assert log[0] == 'Cloning into \'gclone2\'...'
    phases = [line.split(':')[1].strip() if line.startswith('remote:') else line.split(':')[0] for line in log[1:]]
    assert phases == ['Enumerating objects', 'Counting objects', 'Counting objects', 'Compressing objects',
                      'Compressing objects', 'Receiving objects', 'Receiving objects', 'Total 604 (delta 1), reused 0 '
                      '(delta 0), pack-reused 0', 'Receiving objects', 'Resolving deltas', 'Resolving deltas']
    assert log[-1] == 'Resolving deltas: 100% (1/1), done.'
    assert 'Receiving objects: 100% (604/604), 15.28 MiB | 5.24 MiB/s, done.' in log


@pytest.mark.parametrize(('line', 'expected', 'message'), [
    # the lines quoted in issue 14
    (' 42 95.3M   42 40.1M    0     0  20.1M      0  0:00:04  0:00:02  0:00:02 20.1M',
     (40.1 * MIB, 95.3 * MIB, 'bytes'), '42.1 % · 21.1 MB/s'),
    ('Receiving objects:  45% (450/1000), 1.20 MiB | 2.40 MiB/s',
     (450, 1000, 'objects'), 'Receiving objects · 45 % · 2.5 MB/s'),
    ('Encoding: task 1 of 1, 45.67 % (120.50 fps, avg 118.20 fps, ETA 00h01m02s)',
     (45.67, 100, '%'), 'Encoding · 45.7 % · 120.5 fps'),
    ('[download]  45.3% of 10.00MiB at 1.23MiB/s ETA 00:05', (4.53 * MIB, 10 * MIB, 'bytes'), '45.3 % · 1.3 MB/s'),
    # more shapes of the same tools
    ('100  1234k    0     0  100  1234k      0   411k  0:00:03  0:00:03 --:--:--  411k',
     (1234 * 1024, 1234 * 1024, 'bytes'), '100 % · 420.9 kB/s'),  # an upload (-T): % Xferd
    ('  0     0    0 5120k    0     0  1702k      0 --:--:--  0:00:03 --:--:-- 1702k',
     (5120 * 1024, None, 'bytes'), '5.2 MB · 1.7 MB/s'),  # no Content-Length
    ('Resolving deltas:  50% (1/2)', (1, 2, 'deltas'), 'Resolving deltas · 50 %'),
    ('Updating files: 100% (30/30), done.', (30, 30, 'files'), 'Updating files · 100 %'),
    ('      1,048,576  33%  512.00kB/s    0:00:04  (xfr#1, ir-chk=1000/1024)',
     (1048576, 1048576 * 100 / 33, 'bytes'), '33 % · 524.3 kB/s'),
    (' 512MiB 0:00:05 [ 102MiB/s] [<=>                ]', (512 * MIB, None, 'bytes'), '536.9 MB · 107.0 MB/s'),
    ('1073741824 bytes (1.1 GB, 1.0 GiB) copied, 2.6 s, 412 MB/s', (1073741824, None, 'bytes'),
     '1.1 GB · 412.0 MB/s'),
    ('[download]   1.20MiB at  500.00KiB/s (00:00:02)', (1.2 * MIB, None, 'bytes'), '1.3 MB · 512.0 kB/s'),
    ('Progress 262144 of 25001095', (262144, 25001095, 'bytes'), '1 %'),
    ('big.bin                 [  <=>               ]   2.03M  10.0MB/s',
     (2.03 * MIB, None, 'bytes'), '2.1 MB · 10.5 MB/s'),
    ('Working... ━━━━━━━━━━━━━━━━━━━╺━━━━━━━━━━━━━━━━━━━━  48% 0:00:01', (48, 100, '%'), 'Working... · 48 %'),
    ('Copying ━━━━━━━━━━━╺━━━━━━━━ 12/40 0:00:01', (12, 40, None), 'Copying · 30 %'),
    ('Resizing:  30%|###       | 3/10 [00:03<00:07,  2.00s/it]', (3, 10, None), 'Resizing · 30 % · 0.5 it/s'),
])
def test_tool_lines(line, expected, message):
    reading = parse_line(line)
    assert reading is not None and reading.meter is not None
    assert reading.current == pytest.approx(expected[0], rel=1e-3)
    assert reading.total == (pytest.approx(expected[1], rel=1e-3) if expected[1] is not None else None)
    assert reading.unit == expected[2]
    assert OutputReader().read(line).message == message


@pytest.mark.parametrize(('line', 'message'), [
    ('remote: Compressing objects:  10% (6/52)', 'Compressing objects · 11.5 %'),
    ('Scanning title 1 of 1, preview 5, 50.00 %', 'Scanning title 1 of 1 · 50 %'),
])
def test_phases_before_the_work_are_said_but_do_not_fill_the_bar(line, message):
    """The job's percent never goes back: a server's 'Counting objects: 100%' would pin it at 100 for the download."""
    update = OutputReader().read(line)
    assert update.reading.current is None and update.message == message


@pytest.mark.parametrize('line', [
    '  % Total    % Received % Xferd  Average Speed   Time    Time     Time  Current',
    '                                 Dload  Upload   Total   Spent    Left  Speed',
    '#=#=#',
    '##O=#  #',
])
def test_curl_headings_and_its_pulse_say_nothing(line):
    update = OutputReader().read(line)
    assert update.message is None and (update.reading is None or update.reading.current is None)


@pytest.mark.parametrize(('line', 'expected'), [
    ('sent 60,007,396 bytes  received 57 bytes  13,334,989.56 bytes/sec', None),  # rsync's summary
    ('2048+0 records in', None),
    ('=====================================', None),
    ('-------------------------------------', None),
    ('Everything is Ok', None),
    ('Muxing: this may take awhile...', None),
    ('┏━━━━━━━━━━┳━━━━━━━┓', None),  # a rich table's border
    ('┡━━━━━━━━━━╇━━━━━━━┩', None),
])
def test_lines_near_the_tools_are_not_meters(line, expected):
    reading = parse_line(line)
    assert (reading.meter if reading is not None else None) is expected


@pytest.mark.parametrize('line', [
    '  + size: 640x480, pixel aspect: 1/1, display aspect: 1.33, 25.000 fps',
    'x264 [info]: using SAR=1/1',
    'x264 [info]: consecutive B-frames:  2.7%  8.0% 28.0% 61.3%',
    '[19:24:12] scan: 10 previews, 640x480, 25.000 fps, autocrop = 0/0/0/0',
])
def test_an_encoders_log_and_statistics_are_not_progress(line):
    reading = parse_line(line)
    assert reading is None or reading.current is None


def test_a_redrawn_line_is_logged_first_last_and_every_so_often():
    now = [0.0]
    reader = OutputReader(clock=lambda: now[0])
    logged = []
    for i in range(0, 101):
        now[0] = i * 0.5  # 50 s of redraws, two a second
        logged += reader.read(f'/dev/null   {i:3d}%[=>    ]  {i}.00M  2.00MB/s').log
    logged += reader.finish()
    assert logged[0].lstrip().startswith('/dev/null     0%') and logged[-1].startswith('/dev/null   100%')
    assert len(logged) == 2 + int(50 / LOG_EVERY_SECONDS)


def test_other_output_keeps_its_order_around_a_redrawn_line():
    reader = OutputReader()
    logged = []
    for line in ['Starting', '\x1b[2K 10%|█         | 1/10 [00:00<00:01,  9.0it/s]',
                 ' 20%|██        | 2/10 [00:00<00:01,  9.0it/s]', ' 30%|███       | 3/10 [00:00<00:01,  9.0it/s]',
                 'checkpoint saved', ' 40%|████      | 4/10 [00:00<00:01,  9.0it/s]', '10%', '20%']:
        logged += reader.read(line).log
    logged += reader.finish()
    assert [text.strip()[:4] for text in logged] == ['Star', '\x1b[2K'[:4], '30%|', 'chec', '40%|', '10%', '20%']


def test_a_new_display_ends_the_one_before_it():
    reader = OutputReader()
    lines = ['Counting objects:  50% (1/2)', 'Counting objects: 100% (2/2)', 'Counting objects: 100% (2/2), done.',
             'Receiving objects:  50% (1/2)', 'Receiving objects: 100% (2/2), done.']
    logged = [text for line in lines for text in reader.read(line).log] + reader.finish()
    assert logged == [lines[0], lines[2], lines[3], lines[4]]


def test_output_of_the_other_stream_does_not_end_a_redrawn_display():
    """tqdm draws on stderr while the script prints on stdout: the prints are logged, the bar once at its end."""
    reader = OutputReader()
    logged = []
    for i in range(1, 11):
        logged += reader.read(f'{i * 10:3d}%|{"#" * i:<10}| {i}/10 [00:00<00:00,  9.0it/s]', 'err').log
        logged += reader.read(f'item {i} done', 'out').log
    logged += reader.finish()
    assert [text.split('|')[0].strip() for text in logged] == [
        '10%', *[f'item {i} done' for i in range(1, 11)], '100%']


def test_a_state_printed_again_is_logged_once():
    reader = OutputReader()
    logged = []
    for line in ['Encoding: task 1 of 1, 50.00 %', 'Encoding: task 1 of 1, 99.67 %', 'x',
                 'Encoding: task 1 of 1, 99.67 %', 'y', 'Encoding: task 1 of 1, 99.67 %']:
        logged += reader.read(line).log
    logged += reader.finish()
    assert logged == ['Encoding: task 1 of 1, 50.00 %', 'Encoding: task 1 of 1, 99.67 %', 'x', 'y']
