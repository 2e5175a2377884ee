"""What reporting progress costs inside a real running job: `ctx.advance()` and `ctx.track()` against tqdm.

Every loop runs inside a job of the real engine (worker thread, recorder and sampler threads alive), so tqdm
and ours are measured under the same conditions; each job times only its loop with `time.perf_counter`.
The best of `--repeats` runs is reported (as `timeit` does), with an empty loop of the same shape as the
baseline. Target (DESIGN.md: "advance() must cost less than tqdm.update()"): advance/update ≤ 0.5.

    .venv/bin/python bench/report_overhead.py [--n 2000000] [--repeats 5]
"""

from __future__ import annotations

import argparse
import io
import time
from typing import Literal

from _common import machine_note, print_table, running_service, tmp_dir, verdict
from tqdm import tqdm

from progress_app import JobContext, job_kind

TARGET_RATIO = 0.5
Mode = Literal['empty', 'advance', 'tqdm_update', 'track', 'tqdm_iter']


@job_kind('bench_report_overhead', title='Benchmark: reporting overhead')
def measure(ctx: JobContext, mode: Mode = 'advance', n: int = 2_000_000) -> dict[str, float]:
    """Time one loop of `n` steps of the given shape; returns nanoseconds per step."""
    if mode == 'empty':
        start = time.perf_counter()
        for _ in range(n):
            pass
        seconds = time.perf_counter() - start
    elif mode == 'advance':
        start = time.perf_counter()
        for _ in range(n):
            ctx.advance()
        seconds = time.perf_counter() - start
    elif mode == 'tqdm_update':
        bar = tqdm(total=n, file=io.StringIO())
        start = time.perf_counter()
        for _ in range(n):
            bar.update()
        seconds = time.perf_counter() - start
        bar.close()
    elif mode == 'track':
        start = time.perf_counter()
        for _ in ctx.track(range(n)):
            pass
        seconds = time.perf_counter() - start
    else:
        start = time.perf_counter()
        for _ in tqdm(range(n), file=io.StringIO()):
            pass
        seconds = time.perf_counter() - start
    return {'ns_per_call': seconds * 1e9 / n}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--n', type=int, default=2_000_000, help='calls per loop (default 2,000,000)')
    parser.add_argument('--repeats', type=int, default=5, help='runs of each loop; the best counts (default 5)')
    args = parser.parse_args()

    modes: tuple[Mode, ...] = ('empty', 'advance', 'tqdm_update', 'track', 'tqdm_iter')
    best = dict.fromkeys(modes, float('inf'))
    with tmp_dir('overhead') as data_dir, running_service(data_dir, workers=1) as service:
        for _ in range(args.repeats):
            for mode in modes:  # interleaved, so drift in machine load hits every mode alike
                job = service.submit('bench_report_overhead', {'mode': mode, 'n': args.n})
                done = service.wait(job['id'], ['completed', 'failed'], timeout=300)
                if done['status'] != 'completed':
                    raise SystemExit(f'the {mode} job failed: {done["error"]}\n{done["traceback"]}')
                best[mode] = min(best[mode], done['result']['ns_per_call'])

    base = best['empty']
    net = {mode: best[mode] - base for mode in modes}
    gross_ratio = best['advance'] / best['tqdm_update']
    net_ratio = net['advance'] / net['tqdm_update']
    track_ratio = net['track'] / net['tqdm_iter']
    print_table(('loop (inside a running job)', 'ns/call', 'minus empty loop'), [
        ('for _ in range(N): pass', base, 0.0),
        ('ctx.advance()', best['advance'], net['advance']),
        ('tqdm.update()  [file=StringIO]', best['tqdm_update'], net['tqdm_update']),
        ('for x in ctx.track(range(N))', best['track'], net['track']),
        ('for x in tqdm(range(N))', best['tqdm_iter'], net['tqdm_iter']),
    ], title=f'Reporting overhead, N={args.n:,}, best of {args.repeats}; {machine_note()}')
    print_table(('ratio', 'gross', 'net of baseline', 'target', 'result'), [
        ('advance / tqdm.update', f'{gross_ratio:.2f}', f'{net_ratio:.2f}', f'<= {TARGET_RATIO}',
         verdict(net_ratio <= TARGET_RATIO)),
        ('track / tqdm iteration', f'{best["track"] / best["tqdm_iter"]:.2f}', f'{track_ratio:.2f}', '(info)', ''),
    ])


if __name__ == '__main__':
    main()
