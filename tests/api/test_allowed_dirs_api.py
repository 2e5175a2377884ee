"""The real app started with `--allowed-dirs`: paths outside get a 422 naming the setting, inside ones run."""

from __future__ import annotations

from pathlib import Path

from tests.helpers import wait_until


def test_paths_outside_the_allowed_folders_get_422(app_process, tmp_path: Path):
    inside = tmp_path / 'inside'
    (inside / 'photos').mkdir(parents=True)
    (inside / 'photos' / 'a.txt').write_text('hello')
    (inside / 'clip.mp4').write_bytes(b'readable')
    app = app_process('--allowed-dirs', str(inside))
    uploads = (tmp_path / 'data' / 'uploads').resolve()  # always allowed: what was sent to the app is for its jobs
    setting = ('is outside the allowed folders (Settings → Allowed folders, --allowed-dirs): '
               f'{inside.resolve()}, {uploads}')

    batch = app.client.post('/api/jobs', json={'kind': 'batch', 'params': {'source': '/etc', 'operation': 'copy'}})
    assert batch.status_code == 422
    assert batch.json()['detail'] == [{'loc': ['body', 'params', 'source'], 'msg': f"'/etc' {setting}",
                                       'type': 'path_not_allowed'}]
    video = app.client.post('/api/jobs', json={'kind': 'video', 'params': {'input': str(inside / 'clip.mp4'),
                                                                           'output': '/etc/evil.mp4'}})
    assert video.status_code == 422
    assert video.json()['detail'][0]['msg'] == f"'/etc/evil.mp4' {setting}"
    schedule = app.client.post('/api/schedules', json={'kind': 'batch', 'cron': '0 3 * * *',
                                                       'params': {'source': '/etc', 'operation': 'checksum'}})
    assert schedule.status_code == 422 and setting in schedule.text

    ok = app.client.post('/api/jobs', json={'kind': 'batch', 'params': {'source': str(inside / 'photos'),
                                                                        'operation': 'checksum'}})
    assert ok.status_code == 201
    job_id = ok.json()['id']
    done = wait_until(lambda: (j := app.client.get(f'/api/jobs/{job_id}').json())['status'] in ('completed', 'failed')
                      and j)
    assert done['status'] == 'completed'
