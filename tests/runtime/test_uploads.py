"""Uploads' bookkeeping without a server: file names made safe, an upload kept while a job uses it, and the
start-up sweep of broken-off uploads, of uploads no job claimed for a day and of claims of jobs that are gone."""

from __future__ import annotations

import os
import time
from pathlib import Path

from progress_app.runtime.files.receive import safe_name
from progress_app.runtime.files.uploads import UNCLAIMED_SECONDS, Uploads


def make_upload(root: Path, token: str) -> Path:
    folder = root / token
    folder.mkdir(parents=True)
    (folder / 'a.mp4').write_bytes(b'video')
    return folder


def test_names_are_plain_unique_and_visible():
    taken: set[str] = set()
    assert safe_name('C:\\Users\\me\\clip.mp4', taken) == 'clip.mp4'
    assert safe_name('../../etc/clip.mp4', taken) == 'clip (2).mp4'
    assert safe_name('.bashrc', taken) == 'bashrc'
    assert safe_name('..', taken) == 'upload'
    assert safe_name('a\x00b\nc.txt', taken) == 'a_b_c.txt'
    assert len(safe_name('x' * 300 + '.mp4', taken)) == 200


def test_an_upload_goes_with_the_last_job_that_uses_it(tmp_path: Path):
    root = tmp_path / 'uploads'
    uploads = Uploads(root, limit=lambda: 10, exists=lambda job_id: True)
    folder = make_upload(root, 'one')
    other = make_upload(root, 'two')
    uploads.claim(1, {'input': str(folder / 'a.mp4'), 'output': None})
    uploads.claim(2, {'source': str(folder), 'list': [str(other / 'a.mp4')]})
    uploads.claim(3, {'input': '/elsewhere/a.mp4'})
    uploads.release(1)
    assert folder.exists()
    uploads.release(2)
    assert not folder.exists() and not other.exists()
    uploads.release(3)  # used none: nothing to do


def test_the_sweep_keeps_what_is_used_or_new(tmp_path: Path):
    root = tmp_path / 'uploads'
    alive = {1}
    uploads = Uploads(root, limit=lambda: 10, exists=lambda job_id: job_id in alive)
    used, gone_job, fresh, stale = (make_upload(root, name) for name in ('used', 'gone', 'fresh', 'stale'))
    uploads.claim(1, {'input': str(used / 'a.mp4')})
    uploads.claim(2, {'input': str(gone_job / 'a.mp4')})  # job 2 was purged by retention meanwhile
    day_ago = time.time() - UNCLAIMED_SECONDS - 60
    os.utime(stale, (day_ago, day_ago))
    (root / '.partial' / 'broken').mkdir(parents=True)
    (root / '.partial' / 'broken' / 'half.mp4').write_bytes(b'half')
    uploads.sweep()
    assert used.exists() and fresh.exists()
    assert not gone_job.exists() and not stale.exists() and not (root / '.partial').exists()
    assert sorted(p.name for p in (root / '.claims').iterdir()) == ['used.1']
