"""POST /api/uploads against the real app on 127.0.0.1: a body streamed to disk as it arrives, the size limit, the
password and the origin check, the answer's path as a video's input and a batch's source, and the files going
with the last job that uses them."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.helpers import AppProcess, fresh_repository, wait_until
from tests.kinds.media import make_video

BOUNDARY = 'progress-app-test-boundary'
MB = 1_000_000


def multipart(files: dict[str, bytes]) -> bytes:
    body = b''
    for name, data in files.items():
        body += (f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="{name}"\r\n'
                 'Content-Type: application/octet-stream\r\n\r\n').encode() + data + b'\r\n'
    return body + f'--{BOUNDARY}--\r\n'.encode()


HEADERS = {'Content-Type': f'multipart/form-data; boundary={BOUNDARY}'}


def uploads(app: AppProcess) -> Path:
    return app.data_dir.resolve() / 'uploads'


def partial_sizes(app: AppProcess) -> list[int]:
    folder = uploads(app) / '.partial'
    return [f.stat().st_size for f in folder.glob('*/*')] if folder.is_dir() else []


def upload_folders(app: AppProcess) -> set[str]:
    folder = uploads(app)
    return {p.name for p in folder.iterdir() if not p.name.startswith('.')} if folder.is_dir() else set()


def wait_job(app: AppProcess, job_id: int, status: str = 'completed') -> dict:
    return wait_until(lambda: (job := app.job(job_id))['status'] in (status, 'failed') and job, 60,
                      message=f'job {job_id} to end')


def test_a_large_body_is_written_to_disk_while_it_is_still_arriving(app: AppProcess):
    chunk = bytes(range(256)) * 1024  # 256 KiB
    chunks = 40  # 10 MiB
    head = (f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="big.bin"\r\n\r\n').encode()
    seen_on_disk = []

    def body() -> Iterator[bytes]:
        yield head
        for number in range(chunks):
            if number == chunks // 2:  # half sent, the request not ended: the data is already in the file
                seen_on_disk.append(wait_until(lambda: [s for s in partial_sizes(app) if s >= 4 * len(chunk)],
                                               message='the first megabytes on disk'))
            yield chunk
        yield f'\r\n--{BOUNDARY}--\r\n'.encode()

    response = app.client.post('/api/uploads', content=body(), headers=HEADERS)
    assert response.status_code == 201, response.text
    answer = response.json()
    assert seen_on_disk
    assert answer['name'] == 'big.bin' and answer['size'] == chunks * len(chunk)
    path = Path(answer['path'])
    assert path.parent == Path(answer['folder']) and path.parent.parent == uploads(app)
    assert path.read_bytes() == chunk * chunks
    assert not partial_sizes(app)


def test_the_path_is_a_video_input_and_goes_with_its_last_job(app: AppProcess, tmp_path: Path):
    clip = make_video(tmp_path / 'clip.mp4', seconds=1)
    response = app.client.post('/api/uploads', files={'file': ('my clip.mp4', clip.read_bytes(), 'video/mp4')})
    assert response.status_code == 201, response.text
    path = Path(response.json()['path'])
    assert path.name == 'my clip.mp4' and path.read_bytes() == clip.read_bytes()
    job = app.submit('video', {'input': str(path), 'codec': 'h264', 'preset': 'ultrafast'})
    assert wait_job(app, job['id'])['status'] == 'completed'
    again = app.client.post(f"/api/jobs/{job['id']}/run-again")
    assert again.status_code == 201, again.text
    assert app.client.delete(f"/api/jobs/{job['id']}").status_code == 204
    assert path.exists()  # the second job still uses it
    wait_job(app, again.json()['id'])
    assert app.client.delete(f"/api/jobs/{again.json()['id']}").status_code == 204
    assert not path.parent.exists()


def test_several_files_make_a_folder_a_batch_reads(app: AppProcess):
    files = [('file', (f'photo {n}.txt', f'text {n}'.encode(), 'text/plain')) for n in range(3)]
    files.append(('file', ('photo 0.txt', b'same name again', 'text/plain')))
    response = app.client.post('/api/uploads', files=files)
    assert response.status_code == 201, response.text
    answer = response.json()
    assert answer['path'] == answer['folder'] and answer['name'] == '4 files'
    assert sorted(f['name'] for f in answer['files']) == ['photo 0 (2).txt', 'photo 0.txt', 'photo 1.txt',
                                                          'photo 2.txt']
    job = app.submit('batch', {'source': answer['path'], 'operation': 'checksum'})
    done = wait_job(app, job['id'])
    assert done['status'] == 'completed' and done['result']['ok'] == 4
    assert app.client.delete(f"/api/jobs/{job['id']}").status_code == 204
    assert not Path(answer['folder']).exists()


def test_bodies_that_are_not_uploads_are_refused(app: AppProcess):
    before = upload_folders(app)
    no_file = app.client.post('/api/uploads', content=multipart({}), headers=HEADERS)
    assert no_file.status_code == 400 and 'no file' in no_file.json()['detail']
    as_json = app.client.post('/api/uploads', json={'path': '/etc/passwd'})
    assert as_json.status_code == 415 and 'multipart/form-data' in as_json.json()['detail']
    other_site = app.client.post('/api/uploads', files={'file': ('a.txt', b'a')},
                                 headers={'Origin': 'http://evil.example'})
    assert other_site.status_code == 403
    assert upload_folders(app) == before and not partial_sizes(app)


def test_an_upload_cut_off_midway_leaves_nothing(app: AppProcess):
    before = upload_folders(app)
    head = (f'POST /api/uploads HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: {HEADERS["Content-Type"]}\r\n'
            f'Content-Length: {10 * MB}\r\n\r\n--{BOUNDARY}\r\n'
            'Content-Disposition: form-data; name="file"; filename="cut.bin"\r\n\r\n').encode()
    with socket.create_connection(('127.0.0.1', app.port)) as connection:
        connection.sendall(head + b'x' * MB)
        wait_until(lambda: [s for s in partial_sizes(app) if s > 0], message='the upload to begin')
    wait_until(lambda: not any((uploads(app) / '.partial').iterdir()), message='the partial upload to go')
    assert upload_folders(app) == before
    assert 'ClientDisconnect' not in app.output()  # an expected end, not an error with a traceback


@pytest.fixture(scope='module')
def limited(tmp_path_factory) -> Iterator[AppProcess]:
    """An app whose upload limit (a preference, stored) is 1 MB."""
    proc = AppProcess(tmp_path_factory.mktemp('limit') / 'data').start()
    proc.stop()
    with fresh_repository(proc.db_url) as repo:
        repo.put_setting('upload_limit_mb', 1)
    yield proc.start()
    proc.stop()
    proc.client.close()


@pytest.mark.parametrize('declared', [True, False], ids=['content-length', 'chunked'])
def test_over_the_limit_is_413_and_nothing_stays(limited: AppProcess, declared: bool):
    before = upload_folders(limited)
    body = multipart({'big.bin': b'x' * (3 * MB)})
    content = body if declared else iter([body[i:i + 65536] for i in range(0, len(body), 65536)])
    with httpx.Client(base_url=limited.url, timeout=10) as client:
        response = client.post('/api/uploads', content=content, headers=HEADERS)
    assert response.status_code == 413
    assert 'larger than the limit of 1 MB' in response.json()['detail']
    assert upload_folders(limited) == before and not partial_sizes(limited)
    fits = limited.client.post('/api/uploads', files={'file': ('small.bin', b'x' * (MB // 2))})
    assert fits.status_code == 201, fits.text


def test_a_password_locks_uploads_too(tmp_path: Path):
    password = 'upload secret'
    proc = AppProcess(tmp_path / 'data', env={'PROGRESS_APP_PASSWORD': password}).start()
    try:
        refused = proc.client.post('/api/uploads', files={'file': ('a.txt', b'a')})
        assert refused.status_code == 401
        assert not upload_folders(proc)
        allowed = proc.client.post('/api/uploads', files={'file': ('a.txt', b'a')},
                                   headers={'Authorization': f'Bearer {password}'})
        assert allowed.status_code == 201, allowed.text
    finally:
        proc.stop()
        proc.client.close()
