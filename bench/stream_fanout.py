"""Live-stream fan-out under load: many jobs reporting progress as fast as they can, many SSE and WebSocket clients.

The real app (`app.py`) runs in a subprocess on 127.0.0.1 with a throw-away data dir and `--workers` = `--jobs`;
bench/_fanout_kinds.py is installed as a plugin. All jobs are submitted and block until every one of them runs;
then `--client-procs` processes connect `--sse` clients to /api/events/stream and `--ws` clients to /api/ws
(asyncio with httpx and websockets), and the jobs start together: each calls `ctx.advance()` in a tight loop
(`--rate` N: N times a second, in bursts every 50 ms) for `--seconds` and returns how many calls it made.
(The clients connect after the submissions because with 100 clients listening, submitting 200 jobs took
1.5-6 minutes on a busy machine: every job's created/queued/started/stage events go to every client.)

Measured over the run (the streams after `--warmup`):
- progress reports/s accepted: all jobs' advance() calls / seconds of the run (target >= 100,000);
- events/s delivered: stream messages received by all clients / seconds of the window;
- the server's event-loop lag (the issue's target: p99 <= 50 ms), from probes the plugin starts on the loop: a
  10 ms timer (how late each tick ran; the ticks tile the window, so a stall shows as one very late tick, and
  the share of the window spent in ticks more than 50 ms late is printed too), and a thread handing callbacks
  to the loop with call_soon_threadsafe as the event bus does;
- delivery lag: receive time - `event.at` of `job_update` messages (history events: never dropped or
  coalesced) and, per job snapshot, receive time - `at` of the progress that carried it (the bus stamps when the
  oldest change it reports was published). By default the clients get `job_progress_batch` frames (one per bus
  flush with every job that moved: each snapshot in a frame counts, with the frame's `at`); with `--single` they
  ask for `?progress=single`, one `job_progress` message per job within the single-message streams' shared
  budget (with 100 clients each job about every 2.5 s: then the lag is mostly a job waiting for its turn).
  Targets: p99 <= 1 s with more than 10 clients, <= 100 ms with 10 or fewer (`--sse 5 --ws 5`);
- CPU from /proc: the server process, its event-loop thread (and how long that waited for a CPU while runnable),
  each client process, and everything else on the machine.

Server and clients share this machine's cores with anything else running: the output says how busy the client
processes and the rest of the machine were. A client process near 100 % of a core would make the clients part
of the limit (use more --client-procs); other processes' CPU makes the numbers noisy.

    .venv/bin/python bench/stream_fanout.py [--seconds 10] [--jobs 200] [--sse 50] [--ws 50] [--rate 0]
        [--single] [--client-procs 2] [--profile DIR]  # py-spy raw samples of the server: DIR/setup.raw, run.raw
    experiments: [--switch-interval S] [--asyncio-loop] [--nice N]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import re
import shutil
import subprocess
import sys
import time
from array import array
from pathlib import Path
from typing import Any

from _common import ROOT, print_table, start_app, stop_app, tmp_dir, verdict, wait_until

TARGET_REPORTS = 100_000
TARGET_P99_SECONDS = 0.050
TARGET_PROGRESS_P99 = {True: 1.0, False: 0.100}  # progress delivery p99 with more than 10 clients, with 10 or fewer
KINDS = ('job_update', 'job_progress', 'job_progress_batch', 'snapshots', 'other')
LAGS = ('job_update', 'progress')
PROBE_SECONDS = 0.01  # the plugin's timer probe (_fanout_kinds.py)
KINDS_FILE = Path(__file__).resolve().parent / '_fanout_kinds.py'
TICKS = os.sysconf('SC_CLK_TCK')


# -- clients (run in child processes: `stream_fanout.py --client …`) ---------------------------------------------
class Tally:
    """What the clients of one process received in the window (set once the parent starts the jobs)."""

    def __init__(self, clients: int) -> None:
        self.start = self.end = float('inf')
        self.counts = dict.fromkeys(KINDS, 0)
        self.per_client = [0] * clients
        self.lags = {kind: array('d') for kind in LAGS}

    def add(self, kind: str, stamp: float | None, now: float, client: int, snapshots: int = 0) -> None:
        """One message of `kind` received at `now`; `snapshots`: the job snapshots it carries (progress)."""
        if not self.start <= now <= self.end:
            return
        self.counts[kind] += 1
        self.per_client[client] += 1
        self.counts['snapshots'] += snapshots
        if stamp is None:
            return
        if kind == 'job_update':
            self.lags['job_update'].append(now - stamp)
        elif snapshots:
            self.lags['progress'].extend([now - stamp] * snapshots)


def _stamp(pattern: re.Pattern[Any], text: bytes | str) -> float | None:
    """The number after `"at":` (event.at of a job_update, the bus stamp of progress) without parsing the JSON:
    job fields end in `_at"`, so `"at":` only matches the key `at` itself (a frame's comes before its jobs)."""
    match = pattern.search(text)
    return float(match[1]) if match else None


AT_BYTES = re.compile(rb'"at":([-+.0-9eE]+)')
AT_TEXT = re.compile(r'"at":([-+.0-9eE]+)')
SNAPSHOT_KEY = '"stage_index":'  # once in each job snapshot (the bench's jobs have no such key in their params)
SNAPSHOT_BYTES = SNAPSHOT_KEY.encode()


def _query(args: argparse.Namespace) -> str:
    return '?progress=single' if args.single else ''


async def sse_client(client: Any, tally: Tally, index: int, connected: asyncio.Queue[int], query: str) -> None:
    async with client.stream('GET', '/api/events/stream' + query) as response:
        response.raise_for_status()
        connected.put_nowait(index)
        buffer = b''
        async for chunk in response.aiter_raw():
            now = time.time()
            *messages, buffer = (buffer + chunk).split(b'\n\n')
            for message in messages:
                if message.startswith(b'event: job_progress_batch'):
                    tally.add('job_progress_batch', _stamp(AT_BYTES, message), now, index,
                              message.count(SNAPSHOT_BYTES))
                elif message.startswith(b'event: job_progress'):
                    tally.add('job_progress', _stamp(AT_BYTES, message), now, index, 1)
                elif message.startswith(b'id: '):
                    tally.add('job_update', _stamp(AT_BYTES, message), now, index)
                elif not message.startswith(b':'):
                    tally.add('other', None, now, index)


async def ws_client(url: str, tally: Tally, index: int, connected: asyncio.Queue[int]) -> None:
    from websockets.asyncio.client import connect

    async with connect(url, max_size=None, compression=None, open_timeout=60) as ws:
        connected.put_nowait(index)
        async for message in ws:
            now = time.time()
            if message.startswith('{"type":"job_progress_batch"'):
                tally.add('job_progress_batch', _stamp(AT_TEXT, message), now, index, message.count(SNAPSHOT_KEY))
            elif message.startswith('{"type":"job_progress"'):
                tally.add('job_progress', _stamp(AT_TEXT, message), now, index, 1)
            elif message.startswith('{"type":"job_update"'):
                tally.add('job_update', _stamp(AT_TEXT, message), now, index)
            else:
                tally.add('other', None, now, index)


async def run_clients(args: argparse.Namespace) -> None:
    """Connect, say `ready`, read the window `<start> <end>` from stdin, count until its end, write the results."""
    import httpx

    n = args.sse + args.ws
    tally = Tally(n)
    connected: asyncio.Queue[int] = asyncio.Queue()
    limits = httpx.Limits(max_connections=None, max_keepalive_connections=None)
    async with httpx.AsyncClient(base_url=args.url, timeout=httpx.Timeout(60, read=None), limits=limits) as client:
        ws_url = args.url.replace('http://', 'ws://') + '/api/ws' + _query(args)
        tasks = [asyncio.create_task(sse_client(client, tally, i, connected, _query(args))) for i in range(args.sse)]
        tasks += [asyncio.create_task(ws_client(ws_url, tally, args.sse + i, connected)) for i in range(args.ws)]
        for _ in range(n):
            await asyncio.wait_for(connected.get(), 60)
        print('ready', flush=True)
        line = await asyncio.to_thread(sys.stdin.readline)
        tally.start, tally.end = map(float, line.split())
        await asyncio.sleep(max(tally.start - time.time(), 0))
        cpu0 = _own_cpu()
        await asyncio.sleep(max(tally.end - time.time(), 0))
        cpu1 = _own_cpu()
        errors = [repr(t.exception()) for t in tasks if t.done() and t.exception() is not None]
        for task in tasks:
            task.cancel()
    out = Path(args.out)
    for kind, lags in tally.lags.items():
        with (out.parent / f'{out.name}.{kind}.lags').open('wb') as f:
            lags.tofile(f)
    out.write_text(json.dumps({'counts': tally.counts, 'per_client': tally.per_client, 'errors': errors[:5],
                               'cpu_seconds': cpu1 - cpu0, 'wall': tally.end - tally.start}))


def _own_cpu() -> float:
    t = os.times()
    return t.user + t.system


# -- the parent: server, jobs, numbers ----------------------------------------------------------------------------
def cpu_seconds(pid: int) -> float:
    """utime + stime of a process (all its threads) from /proc."""
    fields = Path(f'/proc/{pid}/stat').read_text().rsplit(')', 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def schedstat(pid: int, tid: int) -> tuple[float, float]:
    """Seconds a thread ran on a CPU, and seconds it was runnable but waited for one (/proc schedstat)."""
    run, wait, _ = Path(f'/proc/{pid}/task/{tid}/schedstat').read_text().split()
    return int(run) / 1e9, int(wait) / 1e9


def sample(pid: int) -> dict[str, float]:
    """Counters of the server and the machine, to be differenced over the measured window."""
    waits = 0.0
    for task in Path(f'/proc/{pid}/task').iterdir():
        with contextlib.suppress(OSError, ValueError):
            waits += schedstat(pid, int(task.name))[1]
    loop_run, loop_wait = schedstat(pid, pid)
    return {'time': time.time(), 'server_cpu': cpu_seconds(pid), 'server_cpu_wait': waits, 'loop_cpu': loop_run,
            'loop_cpu_wait': loop_wait, 'machine_busy': machine_busy()}


def machine_busy() -> float:
    """CPU seconds all cores spent not idle since boot (/proc/stat)."""
    fields = [int(x) for x in Path('/proc/stat').read_text().split('\n', 1)[0].split()[1:]]
    return (sum(fields[:8]) - fields[3] - fields[4]) / TICKS


def percentile(values: list[float] | array, q: float) -> float | None:
    if not len(values):
        return None
    ordered = sorted(values)
    return ordered[min(int(q / 100 * len(ordered)), len(ordered) - 1)]


def ms(value: float | None) -> str:
    return '-' if value is None else f'{value * 1000:,.1f}'


def py_spy(folder: Path | None, phase: str, pid: int) -> subprocess.Popen[bytes] | None:
    """Sample the server's threads (not idle ones) with py-spy into `<folder>/<phase>.raw` (flame-graph input)."""
    if folder is None:
        return None
    folder.mkdir(parents=True, exist_ok=True)
    exe = shutil.which('py-spy') or str(Path(sys.executable).parent / 'py-spy')
    return subprocess.Popen([exe, 'record', '-p', str(pid), '-r', '100', '-f', 'raw', '--threads', '--nonblocking',
                             '-o', str(folder / f'{phase}.raw')], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def stop_py_spy(spy: subprocess.Popen[bytes] | None) -> None:
    if spy is not None:
        spy.send_signal(2)  # py-spy writes its file on SIGINT
        spy.wait(30)


def split(total: int, parts: int) -> list[int]:
    return [total // parts + (1 if i < total % parts else 0) for i in range(parts)]


def run(args: argparse.Namespace, tmp: Path) -> None:
    import httpx

    data_dir = tmp / 'data'
    (data_dir / 'plugins').mkdir(parents=True)
    shutil.copy(KINDS_FILE, data_dir / 'plugins' / 'fanout_kinds.py')
    go_file = tmp / 'go'
    env = {}
    if args.switch_interval:
        env['BENCH_SWITCH_INTERVAL'] = repr(args.switch_interval)
    if args.asyncio_loop:  # uvicorn picks uvloop when it can import it
        shim = tmp / 'no-uvloop' / 'uvloop'
        shim.mkdir(parents=True)
        (shim / '__init__.py').write_text('raise ImportError("disabled by bench/stream_fanout.py --asyncio-loop")\n')
        env['PYTHONPATH'] = str(shim.parent)
    proc, url, log = start_app(data_dir, '--workers', str(args.jobs), env=env, timeout=60)
    http = httpx.Client(base_url=url, timeout=60)
    clients: list[tuple[subprocess.Popen[str], Path]] = []
    try:
        kinds = {k['name'] for k in http.get('/api/kinds').json()}
        if 'bench_fanout_spin' not in kinds:
            raise SystemExit(f'the plugin did not load; app log:\n{log.read_text(errors="replace")}')

        # Every job waits for the go file, so all of them run before any starts to spin. The clients connect
        # after the jobs are submitted: with 100 clients listening, submitting 200 jobs takes minutes on a busy
        # machine (every job's created/queued/started/stage events fan out to every client).
        spy = py_spy(args.profile, 'setup', proc.pid)
        began = time.perf_counter()
        params = {'go_file': str(go_file), 'seconds': args.seconds, 'rate': args.rate, 'nice': args.nice}
        ids = [http.post('/api/jobs', json={'kind': 'bench_fanout_spin', 'params': params}).raise_for_status()
               .json()['id'] for _ in range(args.jobs)]
        wait_until(lambda: http.get('/api/queue/stats').json()['running'] >= args.jobs, 60, 0.05,
                   'all jobs to run')
        procs = max(1, min(args.client_procs, args.sse + args.ws))
        for i, (n_sse, n_ws) in enumerate(zip(split(args.sse, procs), split(args.ws, procs), strict=True)):
            out = tmp / f'client-{i}.json'
            cmd = [sys.executable, __file__, '--client', '--url', url, '--sse', str(n_sse), '--ws', str(n_ws),
                   '--out', str(out), *(['--single'] if args.single else [])]
            clients.append((subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, cwd=ROOT,
                                             text=True), out))
        for child, _ in clients:
            assert child.stdout is not None
            if child.stdout.readline().strip() != 'ready':
                raise SystemExit('a client process failed to connect')
        setup = time.perf_counter() - began
        stop_py_spy(spy)

        start = time.time() + 0.1
        go_file.with_suffix('.tmp').write_text(repr(start))
        go_file.with_suffix('.tmp').rename(go_file)
        window = (start + args.warmup, start + args.seconds)
        for child, _ in clients:
            assert child.stdin is not None
            child.stdin.write(f'{window[0]!r} {window[1]!r}\n')
            child.stdin.flush()

        time.sleep(max(window[0] - time.time(), 0))
        spy = py_spy(args.profile, 'run', proc.pid)
        before = sample(proc.pid)
        time.sleep(max(window[1] - time.time(), 0))
        after = sample(proc.pid)
        stop_py_spy(spy)

        for child, _ in clients:
            if child.wait(60) != 0:
                raise SystemExit('a client process failed')
        deadline = time.time() + 120
        results = []
        for job_id in ids:
            while (job := http.get(f'/api/jobs/{job_id}').json())['status'] not in ('completed', 'failed'):
                if time.time() > deadline:
                    raise SystemExit(f'job {job_id} did not finish: {job["status"]}')
                time.sleep(0.05)
            if job['status'] != 'completed':
                raise SystemExit(f'job {job_id} failed: {job["error"]}')
            results.append(job['result'])
        probe_job = http.post('/api/jobs', json={'kind': 'bench_fanout_probe', 'params': {
            'since': window[0], 'until': window[1]}}).raise_for_status().json()
        wait_until(lambda: http.get(f"/api/jobs/{probe_job['id']}").json()['status'] == 'completed', 30)
        probe = http.get(f"/api/jobs/{probe_job['id']}").json()['result']
    finally:
        for child, _ in clients:
            if child.poll() is None:
                child.kill()
        http.close()
        stop_app(proc)

    probe['setup_seconds'] = setup
    probe.update({k: (after[k] - before[k]) / (after['time'] - before['time']) for k in after if k != 'time'})
    report(args, results, probe, clients)


def report(args: argparse.Namespace, results: list[dict[str, Any]], probe: dict[str, Any],
           clients: list[tuple[subprocess.Popen[str], Path]]) -> None:
    calls = sum(r['calls'] for r in results)
    span = max(r['ended'] for r in results) - min(r['began'] for r in results)
    reports = calls / span
    counts = dict.fromkeys(KINDS, 0)
    lags: dict[str, array] = {kind: array('d') for kind in LAGS}
    per_client: list[int] = []
    client_cpu: list[float] = []
    wall = args.seconds - args.warmup
    for _, out in clients:
        data = json.loads(out.read_text())
        if data['errors']:
            print(f'client errors: {data["errors"]}')
        for kind, n in data['counts'].items():
            counts[kind] += n
        per_client += data['per_client']
        client_cpu.append(data['cpu_seconds'] / data['wall'])
        for kind, values in lags.items():
            raw = (out.parent / f'{out.name}.{kind}.lags').read_bytes()
            values.frombytes(raw)
    delivered = (sum(counts.values()) - counts['snapshots']) / wall
    everything = lags['job_update'] + lags['progress']

    n_clients = args.sse + args.ws
    server_cpu, loop_cpu = probe['server_cpu'], probe['loop_cpu']
    others = probe['machine_busy'] - server_cpu - sum(client_cpu)
    how = 'as fast as they can' if not args.rate else f'{args.rate:,.0f} times a second each'
    mode = 'single job_progress messages (?progress=single)' if args.single else 'job_progress_batch frames'
    print(f'\nStream fan-out: {args.jobs} jobs call ctx.advance() {how} for {args.seconds:g} s; {args.sse} SSE + '
          f'{args.ws} WebSocket clients in {len(clients)} process(es) asking for {mode}; streams measured over the '
          f'last {wall:g} s.')
    print(f'Server: {probe["loop"]}, switch interval {probe["switch_interval"] * 1000:g} ms; submitting and starting '
          f'the jobs and connecting the clients took {probe["setup_seconds"]:.1f} s.')
    print(f'Machine: {os.cpu_count()} cores, shared by the server, the clients, this script and anything else '
          f'running (load average now {os.getloadavg()[0]:.1f}). CPU is in % of one core.')
    print_table(('measure', 'value'), [
        ('advance() calls (all jobs)', f'{calls:,}'),
        ('progress reports/s accepted', f'{reports:,.0f}'),
        ('messages/s delivered (all clients)', f'{delivered:,.0f}'),
        ('  job_progress_batch / job_progress / job_update / other per s',
         ' / '.join(f'{counts[k] / wall:,.0f}' for k in ('job_progress_batch', 'job_progress', 'job_update', 'other'))),
        ('  job snapshots per batch frame', f'{counts["snapshots"] / counts["job_progress_batch"]:,.1f}'
         if counts['job_progress_batch'] else '-'),
        ('  per client per s: min / median / max', f'{min(per_client) / wall:,.1f} / '
                                                    f'{percentile(per_client, 50) / wall:,.1f} / '
                                                    f'{max(per_client) / wall:,.1f}' if per_client else '-'),
        ('  progress snapshots per job per client per s', f'{counts["snapshots"] / wall / n_clients / args.jobs:.2f}'
         if n_clients else '-'),
        ('bus: messages put into subscriber queues', f'{probe["bus_delivered"]:,}'),
        ('bus: subscriptions still open after the clients closed',
         f'{probe["subscribers"]} (after {probe["subscribers_wait"]:.1f} s)'),
        ('server CPU %: process / event-loop thread', f'{server_cpu * 100:.0f} / {loop_cpu * 100:.0f}'),
        ('  waiting for a CPU %: all threads / event loop',
         f'{probe["server_cpu_wait"] * 100:.0f} / {probe["loop_cpu_wait"] * 100:.0f}'),
        ('  event loop neither running nor runnable % (GIL or idle)',
         f'{max(1 - loop_cpu - probe["loop_cpu_wait"], 0) * 100:.0f}'),
        ('  event-loop CPU per delivered message (us)', f'{loop_cpu / delivered * 1e6:,.0f}' if delivered else '-'),
        ('client CPU % per process', ' '.join(f'{c * 100:.0f}' for c in client_cpu)),
        ('other processes on the machine, CPU %', f'{max(others, 0) * 100:.0f}'),
    ], title='Throughput')

    rows = []
    for name, values in (('job_update: now - event.at', lags['job_update']),
                         ('progress, per job snapshot: now - at', lags['progress']),
                         ('all messages with a stamp', everything),
                         ('server loop: 10 ms timer lateness', probe['timer_lag']),
                         ('server loop: call_soon_threadsafe', probe['handoff_lag'])):
        rows.append((name, f'{len(values):,}', ms(percentile(values, 50)), ms(percentile(values, 99)),
                     ms(max(values) if len(values) else None)))
    print_table(('lag (ms)', 'samples', 'p50', 'p99', 'max'), rows, title='Lag')
    if not lags['progress']:
        print('(no progress message carried a stamp: its lag is not measured)')
    expected = wall / PROBE_SECONDS
    if len(probe['timer_lag']) < 0.5 * expected:
        print(f'(the 10 ms timer ran {len(probe["timer_lag"])} times instead of ~{expected:.0f}: the event loop was '
              'starved; each stall is one late tick, so the percentiles understate how much of the time it lagged)')

    timer = probe['timer_lag']
    stalled = sum(PROBE_SECONDS + lag for lag in timer if lag > TARGET_P99_SECONDS)
    tiled = sum(PROBE_SECONDS + lag for lag in timer)
    loop_p99 = percentile(timer, 99)
    progress_p99 = percentile(lags['progress'], 99)
    progress_goal = TARGET_PROGRESS_P99[n_clients > 10]
    print(f'event loop: ticks cover {tiled:.1f} s of the {wall:g} s window; {stalled / max(tiled, 1e-9):.1%} of it '
          f'in ticks more than {TARGET_P99_SECONDS * 1000:.0f} ms late')
    print_table(('target', 'value', 'goal', 'result'), [
        ('progress reports/s accepted', f'{reports:,.0f}', f'>= {TARGET_REPORTS:,}',
         verdict(reports >= TARGET_REPORTS)),
        ('event-loop lag p99 (ms), 10 ms timer', ms(loop_p99), f'<= {TARGET_P99_SECONDS * 1000:.0f}',
         verdict(loop_p99 is not None and loop_p99 <= TARGET_P99_SECONDS)),
        (f'progress delivery p99 (ms), {n_clients} clients', ms(progress_p99), f'<= {progress_goal * 1000:,.0f}',
         verdict(progress_p99 is not None and progress_p99 <= progress_goal)),
    ], title='Targets')
    busy = [c for c in client_cpu if c > 0.85]
    if busy:
        print(f'note: {len(busy)} client process(es) used > 85 % of a core: the clients may be part of the limit; '
              'try more --client-procs')
    blocked = 1 - loop_cpu - probe['loop_cpu_wait']
    if blocked > 0.5 and len(probe['timer_lag']) < 0.5 * expected:
        print(f'note: the event loop had work but was neither running nor waiting for a CPU {blocked:.0%} of the time: '
              'it was waiting for the GIL, which the job threads held')
    if probe['loop_cpu_wait'] > 0.25:
        print(f'note: the event loop was runnable but waited for a CPU {probe["loop_cpu_wait"]:.0%} of the time: '
              'the machine was the limit, not the server')
    if others > 0.25:
        print(f'note: other processes used {others * 100:.0f} % of a core during the run: the numbers are noisy')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--seconds', type=float, default=10.0, help='how long the jobs spin (default 10)')
    parser.add_argument('--warmup', type=float, default=1.0, help='seconds of the run not measured on the streams')
    parser.add_argument('--jobs', type=int, default=200, help='jobs, all running at once (default 200)')
    parser.add_argument('--sse', type=int, default=50, help='clients on /api/events/stream (default 50)')
    parser.add_argument('--ws', type=int, default=50, help='clients on /api/ws (default 50)')
    parser.add_argument('--client-procs', type=int, default=2, help='processes the clients are spread over')
    parser.add_argument('--rate', type=float, default=0,
                        help='advances/s per job, in bursts every 50 ms (default 0: as fast as it can)')
    parser.add_argument('--single', action='store_true',
                        help='the clients ask for ?progress=single (one job_progress message per job, as before '
                             'batching) instead of job_progress_batch frames')
    parser.add_argument('--nice', type=int, default=0,
                        help='experiment: each job raises the nice value of its own thread by this much')
    parser.add_argument('--switch-interval', type=float,
                        help='experiment: sys.setswitchinterval(seconds) in the server (default: Python\'s 5 ms)')
    parser.add_argument('--asyncio-loop', action='store_true',
                        help='experiment: run the server on asyncio\'s own loop instead of uvloop')
    parser.add_argument('--profile', type=Path,
                        help='record the server with py-spy into DIR/setup.raw and DIR/run.raw')
    parser.add_argument('--keep', action='store_true', help='keep the data dir and app log')
    parser.add_argument('--client', action='store_true', help=argparse.SUPPRESS)
    parser.add_argument('--url', help=argparse.SUPPRESS)
    parser.add_argument('--out', help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.client:
        asyncio.run(run_clients(args))
        return
    if args.jobs < 1 or args.jobs > 256 or args.seconds <= args.warmup:
        parser.error('--jobs must be 1..256 (the app runs at most 256 at once) and --seconds > --warmup')
    with tmp_dir('fanout', keep=args.keep) as tmp:
        run(args, tmp)


if __name__ == '__main__':
    main()
