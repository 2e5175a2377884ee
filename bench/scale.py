"""A month of heavy use: the same figures with 1,000 and with 100,000 finished jobs (plus 20 running).

For each size a throw-away data dir is built: the schema by the app's own migrations, then the finished jobs (with
the ten events a finished demo job leaves) inserted in bulk with sqlite3 — not run, which would take hours. Names
come from a few everyday words; one job in 500 is a 'Quarterly report', the name searched for. The real app
(`app.py`) then runs in a subprocess on each dir with 20 slow demo jobs running, both apps at once, and the two take
turns try by try (so that whatever else loads the machine meanwhile weighs on both alike) for each figure:

- dashboard first rows: headless Chromium (Playwright, Debian's /usr/bin/chromium) opens `/` until the table shows
  its first job link;
- dashboard name search: typing 'Quarterly' in the search box until every row shown is a Quarterly report (the
  box waits 300 ms for more typing: that is part of every figure);
- History page: `/history` until its table shows a job;
- `GET /api/jobs` (first page), `GET /api/jobs?status=completed&offset=…` (a page 90 % deep into the completed
  jobs) and `GET /api/queue/stats`, over HTTP;
- the app's RSS after all of that, and the database's size (with its WAL) per job.

A browser figure is the median of `--repeat` tries; an HTTP one the best of 4x as many (a few milliseconds, which
other programs on a busy machine easily double: the best is the app's own cost). Target: every figure at the large
size within 1.5x of the small one.

    .venv/bin/python bench/scale.py [--sizes 1000 100000] [--repeat 5] [--keep]
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import statistics
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from _common import machine_note, print_table, tmp_dir, verdict, wait_until
from ui_latency import CHROMIUM, CHROMIUM_ARGS, App

TARGET_RATIO = 1.5
RUNNING = 20
SEARCH = 'Quarterly'
WORDS = ('Resize holiday photos', 'Checksum backup', 'Transcode lecture', 'Watermark clips', 'Nightly sync',
         'Build the docs', 'Render thumbnails')
MONTH = 29 * 86400  # inside the default 30-day retention, which would purge older jobs at start
TIMEOUT_MS = 30_000  # a figure that takes longer counts as infinite
JOB_LINK = '.q-table tbody tr a.text-primary[href^="/jobs/"]'  # the name cell's link
STAGES = (('prepare', 1.0), ('process', 8.0), ('finish', 1.0))
PARAMS = json.dumps({'items': 3, 'item_seconds': 0.01, 'stages': None, 'fail_at_item': None, 'fail_times': 1})


# -- the data dir -------------------------------------------------------------------------------------------------
def build(data_dir: Path, jobs: int) -> None:
    """The schema (by the app's migrations), then `jobs` finished demo jobs and their events, in bulk."""
    from progress_app.store.engine import create_db_engine, init_schema

    data_dir.mkdir(parents=True, exist_ok=True)
    path = data_dir / 'progress.db'
    engine = create_db_engine(f'sqlite:///{path}')
    init_schema(engine)
    engine.dispose()
    with sqlite3.connect(path) as db:
        db.execute('PRAGMA synchronous=OFF')
        columns = ('id', 'name', 'kind', 'status', 'priority', 'params', 'options', 'stages', 'stage_states',
                   'stage_index', 'current', 'total', 'unit', 'message', 'progress', 'elapsed', 'checkpoint',
                   'result', 'error', 'error_stage', 'attempts', 'created_at', 'started_at', 'finished_at')
        db.executemany(f"INSERT INTO job ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})",
                       _job_rows(jobs))
        db.executemany('INSERT INTO job_event (id, job_id, seq, at, type, data) VALUES (?, ?, ?, ?, ?, ?)',
                       _event_rows(jobs))
    with sqlite3.connect(path) as db:
        db.execute('PRAGMA wal_checkpoint(TRUNCATE)')


def _times(i: int, jobs: int) -> tuple[float, float, float]:
    finished = time.time() - MONTH + MONTH * (i + 1) / (jobs + 1)
    elapsed = 2.0 + i % 17
    return finished - elapsed - 0.5, finished - elapsed, finished


def _job_rows(jobs: int) -> Iterator[tuple[Any, ...]]:
    for i in range(1, jobs + 1):
        created, started, finished = _times(i, jobs)
        name = f'{SEARCH} report {i}' if i % 500 == 7 else f'{WORDS[i % len(WORDS)]} {i}'
        status = 'failed' if i % 31 == 0 else 'cancelled' if i % 97 == 0 else 'completed'
        states = ['done'] * 3 if status == 'completed' else ['done', 'failed', 'pending']
        stages = [[n, w, started, finished, (finished - started) / 3, 1] for n, w in STAGES]
        error = 'DemoFailure: item 2 failed on purpose' if status == 'failed' else None
        yield (i, name, 'demo', status, 0, PARAMS, '{"stages_declared": true}', json.dumps(stages),
               json.dumps(states), 2, 3.0, 3.0, 'items', '3 items processed', 1.0 if status == 'completed' else 0.5,
               finished - started, '{"state": null, "track": {"process#0": 3}}', '{"items": 3}', error,
               'process' if error else None, 1, created, started, finished)


def _event_rows(jobs: int) -> Iterator[tuple[Any, ...]]:
    kinds = ['created', 'queued', 'started'] + ['stage'] * 6 + ['completed']
    for i in range(1, jobs + 1):
        started = _times(i, jobs)[1]
        for seq, kind in enumerate(kinds, 1):
            data = ({'kind': 'demo', 'params': json.loads(PARAMS)} if kind == 'created' else
                    {'stage': STAGES[(seq - 4) // 2][0], 'index': (seq - 4) // 2, 'state': 'done', 'progress': 50.0}
                    if kind == 'stage' else {'result': {'items': 3}} if kind == 'completed' else {})
            yield ((i - 1) * len(kinds) + seq, i, seq, started + seq * 0.1 if seq > 2 else started, kind,
                   json.dumps(data))


def database_bytes(data_dir: Path) -> int:
    return sum(p.stat().st_size for p in data_dir.glob('progress.db*'))


def rss_bytes(pid: int) -> int:
    for line in Path(f'/proc/{pid}/status').read_text().splitlines():
        if line.startswith('VmRSS:'):
            return int(line.split()[1]) * 1024
    return 0


# -- measuring ----------------------------------------------------------------------------------------------------
def http_get(app: App, path: str) -> Callable[[], float]:
    def once() -> float:
        start = time.perf_counter()
        app.http.get(path).raise_for_status()
        return time.perf_counter() - start
    return once


def in_browser(browser: Any, measure: Callable[[Any], float]) -> Callable[[], float]:
    """`measure(page)` in a fresh browser context; infinite if it timed out."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    def once() -> float:
        context = browser.new_context(viewport={'width': 1400, 'height': 900})
        try:
            page = context.new_page()
            page.set_default_timeout(TIMEOUT_MS)
            return measure(page)
        except PlaywrightTimeout:
            return float('inf')
        finally:
            context.close()
    return once


def open_page(browser: Any, url: str) -> Callable[[], float]:
    """Seconds from asking for `url` until a job link shows in its table."""
    def measure(page: Any) -> float:
        start = time.perf_counter()
        page.goto(url)
        page.wait_for_selector(JOB_LINK)
        return time.perf_counter() - start
    return in_browser(browser, measure)


def dashboard_search(browser: Any, url: str) -> Callable[[], float]:
    """Seconds from typing the search word into the dashboard (already showing its rows) until only matches show."""
    def measure(page: Any) -> float:
        page.goto(url)
        page.wait_for_selector(JOB_LINK)
        box = page.get_by_placeholder('Search name or #id')
        start = time.perf_counter()
        box.fill(SEARCH)
        page.wait_for_function('''([selector, word]) => {
            const links = [...document.querySelectorAll(selector)];
            return links.length > 0 && links.every(a => a.textContent.includes(word));
        }''', arg=[JOB_LINK, SEARCH])
        return time.perf_counter() - start
    return in_browser(browser, measure)


def started_app(tmp: Path, jobs: int) -> App:
    """The app on a new data dir of `jobs` finished jobs, with RUNNING demo jobs running."""
    data_dir = tmp / f'jobs-{jobs}'
    started = time.perf_counter()
    build(data_dir, jobs)
    print(f'{jobs:,} finished jobs inserted in {time.perf_counter() - started:.1f} s', flush=True)
    app = App(data_dir, workers=RUNNING)
    for _ in range(RUNNING):
        app.submit('demo', {'items': 100_000, 'item_seconds': 1.0})
    wait_until(lambda: app.stats()['running'] == RUNNING, timeout=60, what=f'{RUNNING} running jobs')
    return app


Figure = tuple[Callable[[], float], Callable[[list[float]], float], int]
"""One try (seconds), how the tries make the figure, and how many tries."""


def figures(browser: Any, app: App, repeat: int) -> dict[str, Figure]:
    deep = f"/api/jobs?status=completed&limit=50&offset={app.stats()['completed'] * 9 // 10}"
    median, best = statistics.median, min
    return {'dashboard first rows ms': (open_page(browser, app.url + '/'), median, repeat),
            'dashboard name search ms': (dashboard_search(browser, app.url + '/'), median, repeat),
            'History page ms': (open_page(browser, app.url + '/history'), median, repeat),
            'GET /api/jobs first page ms': (http_get(app, '/api/jobs'), best, repeat * 4),
            'GET /api/jobs deep status page ms': (http_get(app, deep), best, repeat * 4),
            'GET /api/queue/stats ms': (http_get(app, '/api/queue/stats'), best, repeat * 4)}


def measure(tmp: Path, sizes: tuple[int, ...], browser: Any, repeat: int) -> dict[int, dict[str, float]]:
    """Both apps run at once and take turns, try by try: whatever else loads the machine meanwhile weighs on both."""
    apps: dict[int, App] = {}
    try:
        for size in sizes:
            apps[size] = started_app(tmp, size)
        measures = {size: figures(browser, app, repeat) for size, app in apps.items()}
        for size in sizes:  # warm: the first reads pull the file into the page cache
            for name, (once, _, _) in measures[size].items():
                if 'search' not in name:
                    once()
        results: dict[int, dict[str, float]] = {size: {} for size in sizes}
        for name, (_, aggregate, count) in measures[sizes[0]].items():
            tries: dict[int, list[float]] = {size: [] for size in sizes}
            for _ in range(count):
                for size in sizes:
                    tries[size].append(measures[size][name][0]())
            for size in sizes:
                results[size][name] = aggregate(tries[size]) * 1e3
        for size, app in apps.items():
            results[size]['app RSS MB'] = rss_bytes(app.proc.pid) / 2**20
    finally:
        for app in apps.values():
            app.kill()
    for size in sizes:
        results[size]['database KB per job'] = database_bytes(tmp / f'jobs-{size}') / 1024 / (size + RUNNING)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--sizes', type=int, nargs=2, default=(1000, 100_000), metavar=('SMALL', 'LARGE'),
                        help='finished jobs in the two data dirs (default 1000 100000)')
    parser.add_argument('--repeat', type=int, default=5, help='tries per browser figure, 4x that per HTTP one')
    parser.add_argument('--keep', action='store_true', help='keep the data dirs')
    args = parser.parse_args()
    if not Path(CHROMIUM).exists():
        raise SystemExit(f'{CHROMIUM} is not installed (apt-get install chromium)')
    from playwright.sync_api import sync_playwright

    small, large = args.sizes
    with tmp_dir('scale', keep=args.keep) as tmp, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            results = measure(tmp, (small, large), browser, args.repeat)
        finally:
            browser.close()
    rows = []
    for name, value in results[small].items():
        ratio = results[large][name] / value if value else float('inf')
        rows.append((name, value, results[large][name], f'{ratio:.2f}', f'<= {TARGET_RATIO}',
                     verdict(ratio <= TARGET_RATIO)))
    print_table(('figure', f'{small:,} jobs', f'{large:,} jobs', 'ratio', 'target', 'result'), rows,
                title=f'Scale: {small:,} against {large:,} finished jobs, {RUNNING} running; {machine_note()}')


if __name__ == '__main__':
    main()
