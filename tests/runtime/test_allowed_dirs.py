"""Allowed folders: a job's paths (video input/output, watermark image, batch source/dest, command cwd) must lie
inside them, at submission (422 at the field) and again when the job starts (it fails with the same message)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from progress_app.errors import InvalidParams
from progress_app.kinds import builtin
from progress_app.kinds.paths import PathParam, path_values, refusal
from progress_app.kinds.registry import registry
from progress_app.runtime.service import JobService

EXPOSED = {'host': '0.0.0.0', 'password': 'a long passphrase'}
LATER = 3600.0  # submitted as scheduled jobs: accepted or not, nothing needs to run


@pytest.fixture
def folders(tmp_path: Path) -> dict[str, Path]:
    inside, outside = tmp_path / 'inside', tmp_path / 'outside'
    for folder in (inside / 'photos', outside):
        folder.mkdir(parents=True)
        (folder / 'a.txt').write_text('hello')
    (inside / 'clip.mp4').write_bytes(b'not really a video, but readable')
    (inside / 'link').symlink_to(outside, target_is_directory=True)
    return {'inside': inside, 'outside': outside}


def refused(service: JobService, kind: str, params: dict) -> dict:
    with pytest.raises(InvalidParams) as exc:
        service.submit(kind, params, run_at=time.time() + LATER)
    [error] = exc.value.errors
    return error


def test_exposed_a_batch_of_etc_and_a_video_written_to_etc_are_refused_naming_the_setting(make_service, folders,
                                                                                          tmp_path):
    service = make_service(**EXPOSED, allowed_dirs=[folders['inside']])
    error = refused(service, 'batch', {'source': '/etc', 'operation': 'checksum'})
    assert error['loc'] == ['params', 'source']
    assert error['msg'] == ("'/etc' is outside the allowed folders (Settings → Allowed folders, --allowed-dirs): "
                            f"{folders['inside']}, {(tmp_path / 'data' / 'uploads').resolve()}")
    error = refused(service, 'video', {'input': str(folders['inside'] / 'clip.mp4'), 'output': '/etc/evil.mp4'})
    assert error['loc'] == ['params', 'output'] and "'/etc/evil.mp4' is outside the allowed folders" in error['msg']


def test_every_path_param_is_checked(make_service, folders):
    service = make_service(**EXPOSED, allowed_dirs=[folders['inside']])
    clip, photos = str(folders['inside'] / 'clip.mp4'), str(folders['inside'] / 'photos')
    cases = [('video', {'input': '/etc/hostname'}, 'input'),
             ('video', {'input': clip, 'operation': 'watermark', 'image': '/etc/logo.png'}, 'image'),
             ('batch', {'source': photos, 'operation': 'copy', 'dest': '/etc/copies'}, 'dest'),
             ('command', {'command': ['true'], 'cwd': '/etc'}, 'cwd')]
    for kind, params, field in cases:
        error = refused(service, kind, params)
        assert error['loc'] == ['params', field] and 'outside the allowed folders' in error['msg'], (kind, error)


def test_a_path_outside_is_refused_before_the_kind_looks_at_it(make_service, folders):
    """The kind's own checks would tell whether a file outside exists; the refusal says the same either way."""
    service = make_service(**EXPOSED, allowed_dirs=[folders['inside']])
    missing = refused(service, 'video', {'input': '/etc/no-such-file.mp4'})
    present = refused(service, 'video', {'input': '/etc/hostname'})
    assert 'outside the allowed folders' in missing['msg'] and 'exist' not in missing['msg']
    assert missing['type'] == present['type'] == 'path_not_allowed'


def test_paths_inside_are_accepted(make_service, folders):
    service = make_service(**EXPOSED, allowed_dirs=[folders['inside']])
    job = service.submit('batch', {'source': str(folders['inside'] / 'photos'), 'operation': 'checksum'})
    assert service.wait(job['id'], ['completed', 'failed'])['status'] == 'completed'
    video = service.submit('video', {'input': str(folders['inside'] / 'clip.mp4'),
                                     'output': str(folders['inside'] / 'out.mp4')}, run_at=time.time() + LATER)
    assert video['status'] == 'scheduled'


def test_a_symlink_or_dotdot_inside_leading_outside_is_refused(make_service, folders):
    service = make_service(**EXPOSED, allowed_dirs=[folders['inside']])
    error = refused(service, 'batch', {'source': str(folders['inside'] / 'link'), 'operation': 'checksum'})
    assert f"(it leads to '{folders['outside']}') is outside the allowed folders" in error['msg']
    error = refused(service, 'batch', {'source': f"{folders['inside']}/../outside", 'operation': 'checksum'})
    assert 'is outside the allowed folders' in error['msg']
    error = refused(service, 'video', {'input': str(folders['inside'] / 'clip.mp4'),
                                       'output': str(folders['inside'] / 'link' / 'evil.mp4')})
    assert error['loc'] == ['params', 'output']


def test_on_loopback_every_folder_is_allowed_by_default(make_service, folders):
    service = make_service()
    assert service.allowed_dirs() is None
    job = service.submit('batch', {'source': str(folders['outside']), 'operation': 'checksum'},
                         run_at=time.time() + LATER)
    assert job['status'] == 'scheduled'


def test_exposed_the_default_is_the_data_dir_and_the_home_folder(make_service, folders, tmp_path):
    service = make_service(**EXPOSED)
    assert service.allowed_dirs() == ((tmp_path / 'data').resolve(), Path.home().resolve())
    error = refused(service, 'batch', {'source': str(folders['outside']), 'operation': 'checksum'})
    assert error['msg'].endswith(f": {(tmp_path / 'data').resolve()}, {Path.home().resolve()}")


def test_the_settings_page_list_applies_at_once_and_is_kept(make_service, folders, tmp_path):
    service = make_service()
    service.update_preferences(allowed_dirs=[str(folders['inside'])])
    refused(service, 'batch', {'source': str(folders['outside']), 'operation': 'checksum'})
    service.shutdown()
    again = make_service(data_dir=tmp_path / 'data')
    # and the app's own uploads folder: what was sent to the app is there for its jobs
    assert again.allowed_dirs() == (folders['inside'].resolve(), (tmp_path / 'data' / 'uploads').resolve())
    for bad, why in (('relative/folder', 'is not an absolute path'), (str(tmp_path / 'nope'), 'does not exist')):
        with pytest.raises(InvalidParams) as exc:
            again.update_preferences(allowed_dirs=[bad])
        assert exc.value.errors[0]['loc'] == ['allowed_dirs'] and why in exc.value.errors[0]['msg']
    assert again.preferences().allowed_dirs == [str(folders['inside'])]


def test_a_job_whose_path_is_no_longer_allowed_when_it_starts_fails_with_the_message(make_service, folders,
                                                                                     tmp_path):
    service = make_service(allowed_dirs=[folders['inside']])
    job = service.submit('batch', {'source': str(folders['inside'] / 'photos'), 'operation': 'checksum'},
                         run_at=time.time() + LATER)
    service.update_preferences(allowed_dirs=[str(folders['outside'])])
    service.start(job['id'])
    failed = service.wait(job['id'], ['completed', 'failed'])
    assert failed['status'] == 'failed'
    assert failed['error'] == (f"PathNotAllowed: source: '{folders['inside'] / 'photos'}' is outside the allowed "
                               f"folders (Settings → Allowed folders, --allowed-dirs): {folders['outside']}, "
                               f"{(tmp_path / 'data' / 'uploads').resolve()}")


def test_run_again_and_schedules_go_through_the_same_check(make_service, folders):
    service = make_service(allowed_dirs=[folders['inside']])
    params = {'source': str(folders['inside'] / 'photos'), 'operation': 'checksum'}
    done = service.submit('batch', params)
    service.wait(done['id'], ['completed'])
    schedules = service.schedules
    schedule = schedules.create({'kind': 'batch', 'params': params, 'cron': '0 3 * * *'})
    with pytest.raises(InvalidParams, match='outside the allowed folders'):
        schedules.create({'kind': 'batch', 'params': {**params, 'source': str(folders['outside'])},
                          'cron': '0 3 * * *'})

    service.update_preferences(allowed_dirs=[str(folders['outside'])])
    with pytest.raises(InvalidParams, match='outside the allowed folders'):
        service.run_again(done['id'])
    with pytest.raises(InvalidParams, match='outside the allowed folders'):
        schedules.run_now(schedule['id'])
    schedules.run(schedule['id'], schedules._entry(schedule['id']).kwargs['job'], None)  # as when it is due
    assert 'outside the allowed folders' in schedules.get(schedule['id'])['last_error']


def test_kinds_mark_their_paths_and_the_schema_shows_it():
    builtin.register()
    video = registry.get('video').params_model
    assert video.model_json_schema()['properties']['output']['x-path'] == 'write'
    marked = {name for kind in ('video', 'batch', 'command') for name, field in
              registry.get(kind).params_model.model_fields.items()
              if any(isinstance(mark, PathParam) for mark in field.metadata)}
    assert marked == {'input', 'output', 'image', 'source', 'dest', 'cwd'}
    assert list(path_values(video, {'input': 'a.mp4', 'output': ' ', 'image': None})) == [('input', 'a.mp4')]
    assert refusal('/srv/data/x', [Path('/srv/data')]) is None
    assert refusal('/srv/database', [Path('/srv/data')]) is not None  # a prefix of the name is not inside
