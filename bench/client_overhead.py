"""What `progress_app.client` costs a script: the drop-in tqdm's `update()` against tqdm's own, and importing the
client against importing NiceGUI.

The drop-in reports into the REAL app, started here as `python app.py` on a free port with a throw-away data dir
(or the app at --url): its sender thread posts to it while the loop runs, and the job's count is checked at the
end. Both bars draw into a null file with tqdm's defaults (mininterval 0.1 s); plain and drop-in runs alternate
(each going first in turn) and the best of --repeats is kept (as `timeit` does): on a busy machine single runs
vary by ±20 %. The drop-in does not override `update()`: the sender thread reads the bar's numbers, and the app's
pause/cancel is checked in `refresh()`, which tqdm calls at most every mininterval. Import times are measured in
fresh interpreters with `python -X importtime` (the cumulative time of what the import adds beyond the
interpreter's own start-up).
Targets: update ratio ≤ 1.2, import ratio ≤ 0.25.

    .venv/bin/python bench/client_overhead.py [--n 1000000] [--repeats 5] [--url http://127.0.0.1:8080]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager

from _common import ROOT, machine_note, print_table, tmp_dir, verdict, wait_until

TARGET_UPDATE_RATIO = 1.2
TARGET_IMPORT_RATIO = 0.25


class Null:
    def write(self, text: str) -> int:
        return len(text)

    def flush(self) -> None:
        pass


def time_updates(cls: type, n: int, **kwargs: object) -> tuple[float, object]:
    """ns per `update()` over n updates of a fresh bar of `cls` (closed afterwards)."""
    bar = cls(total=n, file=Null(), **kwargs)
    update = bar.update
    start = time.perf_counter_ns()
    for _ in range(n):
        update()
    elapsed = time.perf_counter_ns() - start
    bar.close()
    return elapsed / n, bar


def import_ms(module: str, repeats: int = 5) -> float:
    """The best cumulative import time of `module` in a fresh interpreter, in ms (beyond start-up's imports)."""
    def top_level(code: str) -> dict[str, int]:
        out = subprocess.run([sys.executable, '-X', 'importtime', '-c', code], capture_output=True, text=True,
                             check=True, cwd=ROOT).stderr
        found = {}
        for line in out.splitlines():
            m = re.match(r'import time:\s+\d+ \|\s+(\d+) \| (\S.*)$', line)
            if m:  # no indentation before the name: imported by the code itself (or by start-up)
                found[m.group(2)] = int(m.group(1))
        return found

    startup = set(top_level('pass'))
    return min(sum(us for name, us in top_level(f'import {module}').items() if name not in startup)
               for _ in range(repeats)) / 1000


@contextmanager
def real_app(url: str | None) -> Iterator[str]:
    """The app's URL: the one given, or the real app started here on a free port (stopped at the end)."""
    if url:
        yield url
        return
    sys.path.insert(0, str(ROOT))
    from tests.helpers import free_port

    port = free_port()
    with tmp_dir('client') as data:
        proc = subprocess.Popen([sys.executable, str(ROOT / 'app.py'), '--no-browser', '--port', str(port),
                                 '--data-dir', str(data / 'data')], cwd=ROOT, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
        url = f'http://127.0.0.1:{port}'
        try:
            wait_until(lambda: _answers(url), 60, 0.1, 'the app to start')
            yield url
        finally:
            proc.terminate()
            proc.wait(15)


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(f'{url}/api/health', timeout=1) as response:
            return response.status == 200
    except OSError:
        return False


def job(url: str, job_id: int) -> dict:
    with urllib.request.urlopen(f'{url}/api/jobs/{job_id}', timeout=5) as response:
        return json.load(response)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--n', type=int, default=1_000_000)
    parser.add_argument('--repeats', type=int, default=5)
    parser.add_argument('--url', help='an app that is running already (default: start the real app here)')
    args = parser.parse_args()
    print(machine_note())

    nicegui_ms = import_ms('nicegui')
    client_ms = import_ms('progress_app.client')
    tqdm_ms = import_ms('tqdm')
    import_ratio = client_ms / nicegui_ms

    from tqdm import tqdm as plain

    from progress_app.client import tqdm as dropin

    with real_app(args.url) as url:
        print(f'reporting into the real app at {url} (its sender thread posts while the loop runs)')
        plain_ns, dropin_ns, bars = [], [], []
        for repeat in range(args.repeats):
            for kind in ('plain', 'dropin') if repeat % 2 else ('dropin', 'plain'):  # neither always goes first
                if kind == 'plain':
                    plain_ns.append(time_updates(plain, args.n)[0])
                else:
                    ns, bar = time_updates(dropin, args.n, desc='bench', url=url)
                    dropin_ns.append(ns)
                    bars.append(bar)
        ids = [bar._channel.job_id for bar in bars]
        wait_until(lambda: all(i is not None and job(url, i)['status'] == 'completed' for i in ids), 30, 0.05,
                   'the jobs to complete in the app')
        counts = {job(url, i)['current'] for i in ids}
    update_ratio = min(dropin_ns) / min(plain_ns)
    update_ok, import_ok = update_ratio <= TARGET_UPDATE_RATIO, import_ratio <= TARGET_IMPORT_RATIO
    print_table(['measure', 'value', 'target', ''], [
        ['tqdm.tqdm.update() ns/update', f'{min(plain_ns):.0f}', '', ''],
        ['drop-in update() ns/update', f'{min(dropin_ns):.0f}', '', ''],
        ['update ratio', f'{update_ratio:.2f}×', f'≤ {TARGET_UPDATE_RATIO}×', verdict(update_ok)],
        ['import nicegui ms', f'{nicegui_ms:.0f}', '', ''],
        ['import tqdm ms', f'{tqdm_ms:.0f}', '', ''],
        ['import progress_app.client ms', f'{client_ms:.0f}', '', ''],
        ['import ratio client/nicegui', f'{import_ratio:.3f}', f'≤ {TARGET_IMPORT_RATIO}', verdict(import_ok)],
    ], title=f'client overhead, {args.n:,} updates, best of {args.repeats}')
    print(f'every job in the app ended completed at current = {sorted(counts)} (n = {args.n:,})')
    if os.environ.get('BENCH_STRICT') and not (update_ok and import_ok):
        raise SystemExit(1)


if __name__ == '__main__':
    main()
