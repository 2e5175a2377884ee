"""A job's log file: made only when there is something of the job's to keep, capped, and read back in pieces."""

from __future__ import annotations

from progress_app.runtime.files.logfile import JobLog, read_log, tail_offset


def test_notes_alone_make_no_file_but_stay_in_the_tail(tmp_path):
    log = JobLog(tmp_path / '1.log', 1024)
    log.note('[progress-app] attempt 1 started')
    log.note('[progress-app] completed')
    log.close()
    assert not log.path.exists()
    assert list(log.tail) == ['[progress-app] attempt 1 started', '[progress-app] completed']
    assert read_log(log.path) == ('', 0)


def test_the_first_line_of_the_job_brings_the_notes_before_it_in_order(tmp_path):
    log = JobLog(tmp_path / '2.log', 1024)
    log.note('started')
    log.write('one\ntwo')
    log.note('completed')
    log.close()
    assert log.path.read_text() == 'started\none\ntwo\ncompleted\n'
    assert list(log.tail) == ['started', 'one', 'two', 'completed']


def test_notes_go_straight_to_a_file_an_earlier_attempt_made(tmp_path):
    first = JobLog(tmp_path / '3.log', 1024)
    first.note('attempt 1 started')
    first.write('boom')
    first.close()
    second = JobLog(tmp_path / '3.log', 1024)
    second.note('attempt 2 started')
    second.note('completed')
    second.close()
    assert (tmp_path / '3.log').read_text() == 'attempt 1 started\nboom\nattempt 2 started\ncompleted\n'


def test_the_log_is_capped_with_a_line_that_says_so(tmp_path):
    log = JobLog(tmp_path / '4.log', 40)
    log.note('started')  # 8 bytes
    for i in range(10):
        log.write(f'line {i:02d}')  # 8 bytes each
    log.close()
    text = log.path.read_text()
    assert text.startswith('started\nline 00\nline 01\nline 02\n')
    assert text.endswith('[progress-app] log capped at 40 bytes; further output is not stored\n')
    assert 'line 04' not in text
    assert log.tail[-1] == 'line 09', 'the tail (for error messages) still has the newest lines'
    again = JobLog(log.path, 40)  # a later attempt adds nothing to a full log
    again.write('more')
    again.close()
    assert log.path.read_text() == text


def test_reading_in_pieces_never_splits_a_character(tmp_path):
    path = tmp_path / '5.log'
    path.write_text('aé€😀\n', encoding='utf-8')  # 1, 2, 3 and 4 bytes
    pieces, offset = [], 0
    while True:
        text, offset = read_log(path, offset, limit=4)
        if not text:
            break
        pieces.append(text)
    assert ''.join(pieces) == 'aé€😀\n'
    assert offset == path.stat().st_size


def test_the_tail_of_a_log_starts_at_a_whole_line(tmp_path):
    path = tmp_path / '6.log'
    assert tail_offset(path, 100) == 0  # no file yet
    lines = [f'line {i:03} ' + 'y' * 20 for i in range(200)]  # 29 bytes a line with its newline
    path.write_text(''.join(line + '\n' for line in lines))
    assert tail_offset(path, 10_000) == 0  # all of it fits
    start = tail_offset(path, 100)
    text, end = read_log(path, start)
    assert end == path.stat().st_size and len(text.encode()) <= 100
    assert text.splitlines() == lines[-3:]  # 100 bytes hold 3 whole lines, not a piece of a fourth
    path.write_text('x' * 500)  # one line longer than the tail: nothing whole to show
    assert tail_offset(path, 100) == 500
