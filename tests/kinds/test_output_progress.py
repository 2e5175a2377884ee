"""Reading progress out of output lines: every format the `command` kind understands, and what it must ignore."""

from __future__ import annotations

import re

import pytest

from progress_app.kinds.output_progress import Reading, parse_line, status_text


def reading(line: str, pattern: str | None = None) -> tuple | None:
    value = parse_line(line, re.compile(pattern) if pattern else None)
    return None if value is None else (value.current, value.total, value.unit, value.message)


@pytest.mark.parametrize(('line', 'expected'), [
    ('{"progress": 0.42, "message": "Resizing IMG_0042.jpg"}', (42.0, 100.0, '%', 'Resizing IMG_0042.jpg')),
    ('{"progress": 0}', (0.0, 100.0, '%', None)),
    ('{"progress": 1}', (100.0, 100.0, '%', None)),
    ('{"progress": 42}', (42.0, 100.0, '%', None)),
    ('{"progress": 42.5, "message": "x"}', (42.5, 100.0, '%', 'x')),
    ('{"progress": 250}', (100.0, 100.0, '%', None)),
    ('{"progress": -3}', (0.0, 100.0, '%', None)),
    ('{"percent": 7}', (7.0, 100.0, '%', None)),
    ('{"current": 3, "total": 10}', (3.0, 10.0, None, None)),
    ('{"current": 3, "total": 10, "unit": "files", "message": "a.jpg"}', (3.0, 10.0, 'files', 'a.jpg')),
    ('  {"current": 12, "total": 10}  ', (10.0, 10.0, None, None)),
    ('{"message": "Connecting to the server"}', (None, None, None, 'Connecting to the server')),
    ('{"message": 42}', (None, None, None, '42')),
])
def test_json_lines(line, expected):
    assert reading(line) == expected


@pytest.mark.parametrize('line', [
    '{"current": 1, "total": 0}',
    '{"current": 1, "total": -5}',
    '{"progress": NaN}',
    '{"progress": Infinity}',
    '{"progress": true}',
    '{"progress": "42"}',
    '{"level": "info"}',
    '{not json at all',
    '[1, 2, 3]',
])
def test_json_lines_that_report_nothing(line):
    assert parse_line(line) is None


@pytest.mark.parametrize(('line', 'expected'), [
    ('10%', (10.0, 100.0, '%', None)),
    ('Progress: 55%', (55.0, 100.0, '%', None)),
    ('copying ... 99.5 %', (99.5, 100.0, '%', None)),
    ('0%', (0.0, 100.0, '%', None)),
    ('100%', (100.0, 100.0, '%', None)),
    ('pass 1 at 20%, pass 2 at 30%', (30.0, 100.0, '%', None)),
    ('\x1b[32m 50%\x1b[0m', (50.0, 100.0, '%', None)),
])
def test_percent(line, expected):
    assert reading(line) == expected


@pytest.mark.parametrize(('line', 'expected'), [
    ('3/10', (3.0, 10.0, None, None)),
    ('Processing file 3 / 10', (3.0, 10.0, None, None)),
    ('[7/8] Linking CXX executable app', (7.0, 8.0, None, None)),
    ('Step 1/2.', (1.0, 2.0, None, None)),
    ('Downloaded 3.2/10.0 MB', (3.2, 10.0, None, None)),
    ('started 2024/11/23, now at 4/9', (4.0, 9.0, None, None)),
])
def test_fraction(line, expected):
    assert reading(line) == expected


@pytest.mark.parametrize('line', [
    '2024/11/23',
    '11/23/2024',
    'Build started on 2024/11/23 at 10:00',
    '/usr/lib/3/4',
    'see docs/2/3',
    'reading 1/2.txt',
    'route 10.0.0.1/24',
    'HTTP/1.1 200 OK',
    '1/0',
    '0/0',
    '24/7 support',
    'a 1000% increase',
    'garbage',
    '',
    '   ',
    '\x1b[0m',
    'error: something went wrong',
])
def test_lines_that_are_not_progress(line):
    assert parse_line(line) is None


@pytest.mark.parametrize(('line', 'expected'), [
    (' 42%|████▏     | 42/100 [00:01<00:02, 40.0it/s]', (42.0, 100.0, None, None)),
    ('Resizing:  30%|###       | 3/10 [00:03<00:07,  1.00s/it]', (3.0, 10.0, None, None)),
    ('100%|██████████| 10/10 [00:00<00:00, 99.60files/s]', (10.0, 10.0, 'files', None)),
    ('upload:  50%|█████     | 1.50M/3.00M [00:01<00:01, 1.23MB/s]', (1.5e6, 3e6, 'B', None)),
    ('  0%|          | 0/250 [00:00<?, ?it/s]', (0.0, 250.0, None, None)),
])
def test_tqdm_bars(line, expected):
    assert reading(line) == expected


def test_tqdm_redraws_split_on_carriage_returns():
    """tqdm redraws one line with `\\r`; the process reader splits there, so each redraw is parsed on its own."""
    raw = '\r  0%|          | 0/4 [00:00<?, ?it/s]\r 25%|██▌       | 1/4 [00:00<00:00,  9.9it/s]' \
          '\r 50%|█████     | 2/4 [00:00<00:00,  9.9it/s]\r100%|██████████| 4/4 [00:00<00:00,  9.9it/s]\n'
    lines = [part for part in raw.replace('\n', '\r').split('\r') if part]
    assert [reading(line)[:2] for line in lines] == [(0.0, 4.0), (1.0, 4.0), (2.0, 4.0), (4.0, 4.0)]


@pytest.mark.parametrize(('line', 'pattern', 'expected'), [
    ('frame 5 of 10', r'frame (?P<current>\d+) of (?P<total>\d+)', (5.0, 10.0, None, None)),
    ('encoded 33.5 pct', r'encoded (?P<percent>[\d.]+) pct', (33.5, 100.0, '%', None)),
    ('encoded 33.5 pct', r'encoded ([\d.]+) pct', (33.5, 100.0, '%', None)),
    ('[a.mp4] 40 pct', r'\[(?P<message>[^]]+)\] (?P<percent>\d+) pct', (40.0, 100.0, '%', 'a.mp4')),
    ('phase: cleanup', r'phase: (?P<message>\w+)', (None, None, None, 'cleanup')),
    ('{"progress": 0.5}', r'frame (?P<current>\d+) of (?P<total>\d+)', (50.0, 100.0, '%', None)),
])
def test_custom_regex(line, pattern, expected):
    assert reading(line, pattern) == expected


@pytest.mark.parametrize(('line', 'pattern'), [
    ('50%', r'frame (?P<current>\d+) of (?P<total>\d+)'),  # a custom regex replaces the built-in patterns
    ('3/10', r'frame (?P<current>\d+) of (?P<total>\d+)'),
    ('frame 5 of 0', r'frame (?P<current>\d+) of (?P<total>\d+)'),
    ('at x pct', r'at (?P<percent>\w+) pct'),
    ('garbage', r'(?P<percent>\d+)%'),
])
def test_custom_regex_reports_nothing(line, pattern):
    assert reading(line, pattern) is None


def test_reading_is_a_plain_value():
    assert parse_line('3/10') == Reading(3.0, 10.0)


@pytest.mark.parametrize(('line', 'expected'), [
    ('rendered 42%', 'rendered 42%'),
    ('  \x1b[1mcopying a.jpg\x1b[0m \n', 'copying a.jpg'),
    ('Downloading:  45%|████▌     | 45/100 [00:01<00:01, 30.00it/s]', 'Downloading'),
    ('45%|████▌     | 45/100 [00:01<00:01, 30.00it/s]', ''),
    ('{"progress": 0.5}', ''),
    ('   ', ''),
])
def test_status_text_is_what_the_line_says_the_program_is_doing(line, expected):
    assert status_text(line) == expected
