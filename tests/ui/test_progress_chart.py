"""The job page's 'Progress over time': one line per attempt with a gap and a mark between them (not a fall to 0
and back), and one line instead of a chart for a job that ran too briefly to draw one."""

from __future__ import annotations

from nicegui import ElementFilter, ui
from nicegui.testing import User

from progress_app.ui import format as fmt
from progress_app.ui.components.progress_chart import SHORT_SECONDS, progress_line, shown, thinned
from tests.helpers import until


def event(at: float, type: str, **data) -> dict:
    return {'at': at, 'type': type, 'data': data}


def segments(points: list) -> list[list[float]]:
    """The values of each piece of line between breaks."""
    pieces: list[list[float]] = [[]]
    for _, value in points:
        if value is None:
            pieces.append([])
        else:
            pieces[-1].append(value)
    return pieces


RESTARTED = [event(0, 'created'), event(0, 'queued'), event(1, 'started', attempt=1, resuming=False),
             event(1, 'stage', progress=0.0), event(5, 'progress', progress=30.0), event(9, 'progress', progress=84.0),
             event(20, 'interrupted', reason='restart', progress=84.0), event(20, 'queued'),
             event(21, 'started', attempt=2, resuming=False), event(21, 'stage', progress=0.0),
             event(25, 'progress', progress=12.0), event(40, 'completed')]


def test_a_restart_that_runs_the_work_again_is_a_gap_and_a_mark_then_a_new_line_from_0():
    line = progress_line(RESTARTED)
    assert segments(line.points) == [[0.0, 0.0, 30.0, 84.0], [0.0, 0.0, 12.0, 100.0]]
    assert line.marks == [{'name': 'attempt 2', 'xAxis': 21_000}]
    gap = line.points.index([21_000, None])
    # the line breaks off at its last point before the app stopped (the 'interrupted' event is written as it
    # starts again: the time between is no flat line) and a new one begins at 0
    assert line.points[gap - 1] == [9_000, 84.0] and line.points[gap + 1] == [21_000, 0.0], 'no fall: a break'


def test_an_attempt_that_resumes_from_its_checkpoint_goes_on_where_the_last_one_stopped():
    events = [*RESTARTED[:8], event(21, 'started', attempt=2, resuming=True), event(21, 'stage', progress=86.0),
              event(25, 'progress', progress=90.0)]
    line = progress_line(events)
    assert segments(line.points) == [[0.0, 0.0, 30.0, 84.0], [86.0, 90.0]], 'no jump up at the start either'
    assert line.points[line.points.index([21_000, None]) + 1] == [21_000, 86.0]


def test_a_failed_attempt_ends_its_line_where_it_failed_and_a_retry_begins_another():
    events = [event(1, 'started', attempt=1, resuming=False), event(3, 'progress', progress=40.0),
              event(4, 'failed', error='boom', progress=48.5), event(60, 'retried'),
              event(61, 'started', attempt=2, resuming=True), event(61, 'stage', progress=48.5),
              event(62, 'progress', progress=55.0)]
    line = progress_line(events)
    assert line.points == [[1000, 0.0], [3000, 40.0], [4000, 48.5], [61_000, None], [61_000, 48.5],
                           [62_000, 55.0]]
    assert [m['name'] for m in line.marks] == ['attempt 2']
    stored_before = [*events[:2], event(4, 'failed', error='boom'), *events[3:]]  # without its percent
    assert progress_line(stored_before).points[2] == [4000, 40.0]


def test_thinning_keeps_the_breaks():
    points = [[float(t), t / 20] for t in range(1000)] + [[1000.0, None]] + [[float(t), 0.0] for t in range(1000, 2001)]
    thin = thinned(points, limit=200)
    assert len(thin) <= 200 and [1000.0, None] in thin
    assert thin[0] == points[0] and thin[-1] == points[-1]


def test_only_a_job_that_ran_long_enough_or_has_not_ended_gets_a_chart():
    assert not shown({'status': 'failed', 'elapsed_seconds': 0.02})
    assert not shown({'status': 'completed', 'elapsed_seconds': SHORT_SECONDS - 0.1})
    assert shown({'status': 'completed', 'elapsed_seconds': SHORT_SECONDS})
    assert shown({'status': 'running', 'elapsed_seconds': 0.1})
    assert shown({'status': 'queued', 'elapsed_seconds': 0.0})


def chart_of(user: User) -> ui.echart:
    with user.client:
        return next(iter(ElementFilter(kind=ui.echart)))


async def test_a_failed_command_of_a_few_milliseconds_has_one_line_instead_of_a_chart(user: User, service):
    """Not a flat line over 20 ms with millisecond labels."""
    job = service.submit('command', {'command': ['sh', '-c', 'echo hi; exit 3']}, name='fails at once')
    failed = service.wait(job['id'], ['failed'], timeout=10)
    await user.open(f"/jobs/{job['id']}")
    await user.should_see(f"It ran for {fmt.duration(failed['elapsed_seconds'])} in all: too short to chart.")
    assert not chart_of(user).visible


async def test_a_retry_followed_live_breaks_the_line_and_marks_the_new_attempt(user: User, service):
    job = service.submit('demo', {'items': 40, 'item_seconds': 0.05, 'fail_at_item': 30}, name='falls once')
    service.wait(job['id'], ['failed'], timeout=20)
    await user.open(f"/jobs/{job['id']}")
    user.find(marker='action-retry').click()
    await until(lambda: service.get(job['id'])['status'] == 'completed', timeout=20)
    chart = chart_of(user)
    await until(lambda: chart.options['series'][0]['data'][-1][1] == 100)
    series = chart.options['series'][0]
    assert [m['name'] for m in series['markLine']['data']] == ['attempt 2']
    pieces = segments(series['data'])
    assert len(pieces) == 2 and all(piece == sorted(piece) for piece in pieces)
    assert pieces[1][0] >= pieces[0][-1] - 0.01, 'the retry resumed: its line starts where the first one ended'
    await user.should_see('Progress over time')  # 2.5 s of running in all

    await user.open(f"/jobs/{job['id']}")  # read back from the history: the same break and mark
    series = chart_of(user).options['series'][0]
    assert [m['name'] for m in series['markLine']['data']] == ['attempt 2']
    assert len(segments(series['data'])) == 2
