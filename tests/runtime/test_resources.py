"""CPU and memory per job with real processes (issue 17, item 7): a grandchild that holds ~120 MB and spins shows in
`resources`; an in-process job's thread CPU time grows; the peak and total stay with the finished job, across a
restart, and the history sorts by them."""

from __future__ import annotations

import sys

import pytest

from tests import fixture_kinds  # noqa: F401  (registers the t_* kinds)
from tests.helpers import wait_until

MB = 1_000_000
END = ['completed', 'failed', 'cancelled']
HOG = "import os, sys; block = b'x' * 120_000_000\nwhile not os.path.exists(sys.argv[1]): pass"


def hog_command(release) -> dict:
    """A shell (the job's child) whose child (a grandchild) holds ~120 MB and spins until `release` exists."""
    return {'command': f'{sys.executable} -c "{HOG}" {release} & wait', 'shell': True}


def resources(service, job_id: int) -> dict:
    return service.get(job_id)['resources'] or {}


@pytest.mark.databases
def test_a_process_tree_holding_120_mb_and_spinning_shows_in_resources_and_its_peak_stays(make_service, tmp_path):
    release = tmp_path / 'release'
    data = tmp_path / 'data'
    service = make_service(data)
    job = service.submit('command', hog_command(release), name='hog')
    assert job['resources'] is None
    grown = wait_until(lambda: (r := resources(service, job['id'])).get('rss_bytes', 0) >= 100 * MB and r,
                       timeout=20, message='the tree to hold 100 MB')
    assert grown['peak_rss_bytes'] >= grown['rss_bytes']
    wait_until(lambda: (resources(service, job['id']).get('cpu_percent') or 0) > 0, timeout=10,
               message='CPU use over a second')
    wait_until(lambda: resources(service, job['id'])['cpu_seconds'] >= 0.5, timeout=20, message='CPU time')
    release.touch()
    service.wait(job['id'], END, timeout=40)
    ended = resources(service, job['id'])
    assert ended['rss_bytes'] is None and ended['cpu_percent'] is None
    assert ended['peak_rss_bytes'] >= 100 * MB and ended['cpu_seconds'] >= 0.5
    small = service.submit('command', {'command': 'true', 'shell': True}, name='small')
    service.wait(small['id'], END)

    service.shutdown()
    again = make_service(data)
    assert resources(again, job['id']) == ended
    by_memory = again.finished(sort='peak_rss_bytes')['items']
    assert by_memory[0]['id'] == job['id'] and by_memory[0]['peak_rss_bytes'] == ended['peak_rss_bytes']
    assert again.finished(sort='cpu_seconds')['items'][0]['cpu_seconds'] == ended['cpu_seconds']


def test_an_in_process_job_counts_the_cpu_time_of_its_thread(service, tmp_path):
    release = tmp_path / 'release'
    job = service.submit('t_spin', {'release': str(release)})
    first = wait_until(lambda: resources(service, job['id']).get('cpu_seconds'), timeout=10, message='a sample')
    wait_until(lambda: resources(service, job['id'])['cpu_seconds'] > first + 0.2, timeout=15,
               message='the CPU time to grow')
    assert resources(service, job['id'])['rss_bytes'] is None  # no process of its own
    release.touch()
    done = service.wait(job['id'], END, timeout=10)
    assert done['status'] == 'completed' and done['resources']['cpu_seconds'] > first


def test_the_proc_walk_and_psutil_find_the_same_tree(tmp_path):
    """The Linux fast path (children files) and the portable one (psutil over all processes) agree."""
    import os
    import signal
    import subprocess

    from progress_app.runtime.live import usage

    shell = subprocess.Popen(['sh', '-c', 'sleep 30 & sleep 30 & wait'], start_new_session=True)
    try:
        wait_until(lambda: len(usage._proc_tree([shell.pid])[0]) == 3, timeout=5, message='both sleeps')
        fast, portable = usage._proc_tree([shell.pid]), usage._trees({1: [shell.pid]})[1]
        assert set(fast[0]) == set(portable[0]) and fast[1] > 0 and portable[1] > 0
    finally:
        os.killpg(shell.pid, signal.SIGKILL)  # its own group: the sleeps too
        shell.wait()


def test_a_job_with_several_children_counts_every_tree(tmp_path):
    """A segmented video runs several ffmpegs side by side: the job's CPU and memory are all their trees'."""
    import os
    import signal
    import subprocess

    from progress_app.runtime.live import usage

    shells = [subprocess.Popen(['sh', '-c', 'sleep 30 & wait'], start_new_session=True) for _ in range(2)]
    try:
        leaders = [shell.pid for shell in shells]
        wait_until(lambda: len(usage._proc_tree(leaders)[0]) == 4, timeout=5, message='two shells, two sleeps')
        one = usage._proc_tree(leaders[:1])
        both, portable = usage._proc_tree(leaders), usage._trees({1: leaders})[1]
        assert set(both[0]) == set(portable[0]) and set(one[0]) < set(both[0]) and both[1] > one[1]
    finally:
        for shell in shells:
            os.killpg(shell.pid, signal.SIGKILL)
            shell.wait()
