"""The `batch` kind end to end: real files in tmp_path, images made with Pillow, videos with the bundled ffmpeg,
run through a real JobService on SQLite."""

from __future__ import annotations

import csv
import hashlib
import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from PIL import Image

from progress_app.errors import InvalidParams
from progress_app.kinds import ffmpeg
from progress_app.kinds.batch import JOURNAL, Journal  # importing it registers the kind
from progress_app.kinds.images import target_size
from progress_app.kinds.registry import registry
from tests.helpers import wait_until
from tests.kinds.media import make_audio, make_video


def run(service, timeout: float = 30, **params) -> dict:
    job = service.submit('batch', params)
    return service.wait(job['id'], ['completed', 'failed'], timeout=timeout)


def outputs(service, job: dict) -> Path:
    return service.config.job_paths.output_dir(job['id'])


def report(folder: Path) -> tuple[list[dict], dict]:
    with (folder / 'report.csv').open(newline='') as stream:
        rows = list(csv.DictReader(stream))
    return rows, json.loads((folder / 'report.json').read_text())


def make_images(folder: Path, count: int, size: tuple[int, int] = (120, 90), suffix: str = '.jpg') -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(count):
        path = folder / f'IMG_{i:04d}{suffix}'
        Image.new('RGB', size, ((i * 37) % 256, 90, 160)).save(path)
        paths.append(path)
    return paths


def files_under(folder: Path) -> list[str]:
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob('*') if p.is_file())


def test_checksum_writes_a_sha256sum_manifest_and_reports_progress_in_bytes(service, tmp_path):
    source = tmp_path / 'backup'
    (source / 'sub dir').mkdir(parents=True)
    contents = {'a.txt': b'alpha\n', 'b.bin': os.urandom(3 * 1024 * 1024 + 5), 'sub dir/c d.txt': b'',
                'sub dir/e.txt': b'e' * 1000}
    for name, data in contents.items():
        (source / name).write_bytes(data)
    done = run(service, source=str(source), operation='checksum', recursive=True)

    assert done['status'] == 'completed', done['error']
    assert done['unit'] == 'bytes' and done['result']['bytes'] == sum(len(d) for d in contents.values())
    assert [s['name'] for s in done['stages']] == ['scan', 'hash', 'report']
    assert done['result'] | {'failures': []} == {
        'operation': 'checksum', 'items': 4, 'ok': 4, 'failed': 0, 'warnings': 0, 'bytes': done['result']['bytes'],
        'dest': None, 'report': 'report.csv', 'manifest': 'SHA256SUMS', 'failures': []}
    assert done['message'] == '4 files hashed'
    folder = outputs(service, done)
    manifest = (folder / 'SHA256SUMS').read_text()
    assert manifest == ''.join(f'{hashlib.sha256(data).hexdigest()}  {name}\n'
                               for name, data in sorted(contents.items()))
    if shutil.which('sha256sum'):
        check = subprocess.run(['sha256sum', '-c', str(folder / 'SHA256SUMS')], cwd=source, capture_output=True,
                               text=True, check=False)
        assert check.returncode == 0, check.stdout + check.stderr
    rows, summary = report(folder)
    assert [r['item'] for r in rows] == sorted(contents)
    assert {r['status'] for r in rows} == {'ok'} and [int(r['bytes']) for r in rows] == [
        len(contents[name]) for name in sorted(contents)]
    assert list(rows[0])[:5] == ['item', 'status', 'bytes', 'seconds', 'error']
    assert [(r['item'], r['status'], r['bytes'], r['sha256']) for r in summary['items']] == [
        (r['item'], 'ok', int(r['bytes']), r['sha256']) for r in rows]
    assert (summary['items'][0]['attempt'], summary['operation'], summary['ok']) == (1, 'checksum', 4)


def test_copy_mirrors_the_folder_into_dest_with_times_kept(service, tmp_path):
    source = tmp_path / 'src'
    (source / 'deep' / 'er').mkdir(parents=True)
    for name in ('one.txt', 'deep/two.log', 'deep/er/three.txt'):
        (source / name).write_text(name * 100)
    os.utime(source / 'one.txt', ns=(1_600_000_000_000_000_000, 1_600_000_000_000_000_000))
    dest = tmp_path / 'new' / 'copies'  # created by the job
    done = run(service, source=str(source), pattern='*.txt', recursive=True, operation='copy', dest=str(dest))

    assert done['status'] == 'completed', done['error']
    assert done['result']['items'] == 2 and done['result']['dest'] == str(dest)
    assert files_under(dest) == ['deep/er/three.txt', 'one.txt']
    assert (dest / 'deep/er/three.txt').read_text() == (source / 'deep/er/three.txt').read_text()
    assert (dest / 'one.txt').stat().st_mtime_ns == 1_600_000_000_000_000_000
    rows, _ = report(outputs(service, done))
    assert [(r['item'], r['output']) for r in rows] == [('deep/er/three.txt', 'deep/er/three.txt'),
                                                       ('one.txt', 'one.txt')]


def test_an_output_that_would_overwrite_an_input_fails_that_item_only(service, tmp_path):
    source = tmp_path / 'a' / 'b'  # copied into its own parent: 'b/x.txt' would land on the input 'x.txt'
    (source / 'b').mkdir(parents=True)
    (source / 'x.txt').write_text('input')
    (source / 'b' / 'x.txt').write_text('other')
    done = run(service, source=str(source), recursive=True, operation='copy', dest=str(tmp_path / 'a'))
    assert done['status'] == 'completed', done['error']
    assert done['result']['failures'] == [
        {'item': 'b/x.txt', 'error': f"its output '{source / 'x.txt'}' is an input file; choose another dest"}]
    assert (source / 'x.txt').read_text() == 'input' and (tmp_path / 'a' / 'x.txt').read_text() == 'input'


def test_image_resize_fits_the_box_turns_photos_upright_and_converts(service, tmp_path):
    source = tmp_path / 'photos'
    source.mkdir()
    Image.new('RGB', (400, 300), 'navy').save(source / 'wide.JPG')
    Image.new('RGBA', (100, 200), (0, 200, 0, 128)).save(source / 'tall.png')
    Image.new('RGB', (60, 40), 'red').save(source / 'small.jpeg')
    sideways = Image.new('RGB', (400, 200), 'white')
    exif = sideways.getexif()
    exif[0x0112] = 6  # orientation: rotate 90° clockwise to show
    sideways.save(source / 'phone.jpg', exif=exif)
    (source / 'notes.txt').write_text('not matched')
    done = run(service, source=str(source), pattern='*.jpg, *.jpeg, *.png', operation='image_resize', width=200,
               height=150, format='jpeg', quality=80)

    assert done['status'] == 'completed', done['error']
    assert done['unit'] == 'images'
    assert (done['current'], done['total']) == (4, 4)  # once done, its counters say what the batch covered
    files = outputs(service, done) / 'files'
    assert files_under(files) == ['phone.jpg', 'small.jpg', 'tall.jpg', 'wide.jpg']
    sizes = {}
    for name in files_under(files):
        with Image.open(files / name) as image:
            assert image.format == 'JPEG'
            sizes[name] = image.size
    assert sizes == {'wide.jpg': (200, 150), 'tall.jpg': (75, 150), 'small.jpg': (60, 40), 'phone.jpg': (75, 150)}
    rows, _ = report(outputs(service, done))
    assert {r['item']: r['size'] for r in rows}['wide.JPG'] == '200x150'


def test_target_size():
    assert target_size((400, 300), 200, None) == (200, 150)
    assert target_size((400, 300), None, 30) == (40, 30)
    assert target_size((400, 300), 1000, 1000) == (400, 300)
    assert target_size((400, 300), 1000, None, enlarge=True) == (1000, 750)
    assert target_size((400, 300), 50, 50, keep_aspect=False) == (50, 50)


def test_image_watermark_draws_the_text_in_the_chosen_corner_only(service, tmp_path):
    source = tmp_path / 'in'
    make_images(source, 2, size=(320, 240))
    for path in source.iterdir():
        Image.new('RGB', (320, 240), 'black').save(path)
    done = run(service, source=str(source), operation='image_watermark', text='© Progress', position='top-left',
               opacity=1.0, font_size=24, format='png')

    assert done['status'] == 'completed', done['error']
    files = outputs(service, done) / 'files'
    assert files_under(files) == ['IMG_0000.png', 'IMG_0001.png']
    with Image.open(files / 'IMG_0000.png') as image:
        gray = image.convert('L')
    assert gray.crop((0, 0, 160, 60)).getextrema()[1] > 200, 'white text in the top-left corner'
    assert gray.crop((0, 120, 320, 240)).getextrema() == (0, 0), 'the rest is untouched'


def test_fifty_images_with_two_corrupt_ones_complete_with_two_recorded_failures(service, tmp_path):
    source = tmp_path / 'shoot'
    paths = make_images(source, 50)
    paths[10].write_bytes(b'this is not a JPEG at all')
    paths[33].write_bytes(paths[33].read_bytes()[:300])  # truncated
    done = run(service, source=str(source), pattern='*.jpg', operation='image_resize', width=60)

    assert done['status'] == 'completed', done['error']
    result = done['result']
    assert (result['items'], result['ok'], result['failed'], result['warnings']) == (50, 48, 2, 2)
    assert [f['item'] for f in result['failures']] == ['IMG_0010.jpg', 'IMG_0033.jpg']
    assert '2 failed' in done['message'] and done['message'].startswith('48 of 50')
    folder = outputs(service, done)
    assert len(files_under(folder / 'files')) == 48
    assert 'IMG_0010.jpg' not in files_under(folder / 'files')
    rows, summary = report(folder)
    failed = {r['item']: r['error'] for r in rows if r['status'] == 'failed'}
    assert failed['IMG_0010.jpg'] == 'not an image (or in a format Pillow cannot read)'
    assert 'truncated' in failed['IMG_0033.jpg'].lower()
    assert (summary['total'], summary['ok'], summary['failed'], len(summary['items'])) == (50, 48, 2, 50)
    assert not [p for p in (folder / 'files').iterdir() if '.partial' in p.name]


def test_a_batch_where_every_item_fails_fails_and_says_why(service, tmp_path):
    source = tmp_path / 'junk'
    source.mkdir()
    for name in ('a.png', 'b.png'):
        (source / name).write_text('no image')
    done = run(service, source=str(source), operation='image_watermark', text='x')
    assert done['status'] == 'failed'
    assert done['error'] == ("BatchFailed: all 2 files failed; the first, 'a.png': not an image (or in a format "
                             'Pillow cannot read)')
    rows, _ = report(outputs(service, done))
    assert [r['status'] for r in rows] == ['failed', 'failed']
    assert 'Traceback' not in service.log(done['id'])[0], 'an expected failure is one line in the log'


def test_video_transcode_probes_encodes_and_records_what_is_not_a_video(service, tmp_path):
    source = tmp_path / 'clips'
    source.mkdir()
    make_video(source / 'a.mp4', seconds=2)
    make_video(source / 'b.mkv', seconds=1, audio=False)
    make_audio(source / 'song.m4a')
    (source / 'readme.txt').write_text('hello')
    done = run(service, source=str(source), operation='video_transcode', scale='96:-2', crf=30, preset='ultrafast')

    assert done['status'] == 'completed', done['error']
    assert done['unit'] == 'bytes'
    assert (done['result']['ok'], done['result']['failed']) == (2, 2)
    files = outputs(service, done) / 'files'
    assert files_under(files) == ['a.mp4', 'b.mp4']
    a, b = ffmpeg.probe(files / 'a.mp4'), ffmpeg.probe(files / 'b.mp4')
    assert (a.video_codec, a.width, a.height, a.audio_codec) == ('h264', 96, 72, 'aac')
    assert abs(a.duration - 2) < 0.2 and abs(b.duration - 1) < 0.2 and b.audio_codec is None
    rows, _ = report(outputs(service, done))
    errors = {r['item']: r['error'] for r in rows if r['status'] == 'failed'}
    assert errors.keys() == {'readme.txt', 'song.m4a'}
    assert 'not a video' in errors['readme.txt'] and 'no video stream' in errors['song.m4a']


def test_cancel_leaves_no_partial_file_and_a_retry_goes_on_without_redoing(service, tmp_path):
    items = 25
    source = tmp_path / 'many'
    source.mkdir()
    Image.effect_noise((640, 480), 60).convert('RGB').save(source / 'IMG_0000.jpg')
    for i in range(1, items):
        shutil.copy(source / 'IMG_0000.jpg', source / f'IMG_{i:04d}.jpg')
    job = service.submit('batch', {'source': str(source), 'operation': 'image_watermark', 'text': 'mine'})
    wait_until(lambda: service.get(job['id'])['current'] >= 3, timeout=20, interval=0.005)
    assert service.cancel(job['id'])['status'] == 'cancelled'
    folder = outputs(service, job)
    journal = Journal(folder / JOURNAL).load()
    first = {name: (folder / 'files' / name).stat().st_mtime_ns for name in journal}
    assert 3 <= len(first) < items
    assert files_under(folder / 'files') == sorted(first), 'only finished outputs, no partial file'

    service.retry(job['id'])
    done = service.wait(job['id'], ['completed', 'failed'], timeout=30)
    assert done['status'] == 'completed' and done['result']['ok'] == items
    assert {name: (folder / 'files' / name).stat().st_mtime_ns for name in first} == first
    lines = json.loads((folder / 'report.json').read_text())['items']
    assert sorted(r['item'] for r in lines) == [f'IMG_{i:04d}.jpg' for i in range(items)], 'each item done once'
    assert {r['attempt'] for r in lines if r['item'] in first} == {1}
    assert not (folder / JOURNAL).exists(), 'the journal is internal: gone once the batch is done'


def test_the_journal_drops_a_cut_off_line_and_keeps_the_last_record_of_an_item(tmp_path):
    path = tmp_path / JOURNAL
    path.write_text('{"item": "a", "status": "failed"}\n{"item": "b", "status": "ok"}\n'
                    '{"item": "a", "status": "ok"}\n{"item": "c", "sta')
    journal = Journal(path)
    assert journal.load() == {'a': {'item': 'a', 'status': 'ok'}, 'b': {'item': 'b', 'status': 'ok'}}
    journal.append({'item': 'c', 'status': 'ok'})
    journal.close()
    assert [json.loads(line)['item'] for line in path.read_text().splitlines()] == ['a', 'b', 'a', 'c']


@pytest.mark.parametrize(('params', 'where', 'says'), [
    ({'source': '{missing}', 'operation': 'checksum'}, 'source', 'does not exist'),
    ({'source': '{file}', 'operation': 'checksum'}, 'source', 'is a file, not a folder'),
    ({'operation': 'checksum', 'pattern': '*.xyz'}, 'pattern', "no file matches the pattern '*.xyz' in the folder"),
    ({'operation': 'checksum', 'pattern': '*.txt'}, 'pattern', 'subfolders are not searched'),
    ({'operation': 'checksum', 'pattern': '../*'}, 'pattern', 'would leave the source folder'),
    ({'operation': 'copy', 'dest': '{source}'}, 'dest', 'inside the source folder'),
    ({'operation': 'copy', 'dest': '{source}/out'}, 'dest', 'inside the source folder'),
    ({'operation': 'copy', 'dest': '{other}/out'}, 'dest', 'is a file'),
    # Writable by permission bits (and to root), yet nothing can be made there: found out before anything runs.
    ({'operation': 'copy', 'dest': '/proc/x'}, 'dest', "cannot create the folder '/proc/x': '/proc' does not take"),
    ({'operation': 'copy', 'dest': '/proc'}, 'dest', "cannot write to the folder '/proc'"),
    ({'operation': 'checksum', 'dest': '{tmp}/out'}, 'dest', 'does not apply to checksum'),
    ({'operation': 'image_resize'}, ('width', 'height'), 'Resizing needs a width, a height or both'),
    ({'operation': 'image_resize', 'width': 10, 'keep_aspect': False}, 'height', 'needs both a width and a height'),
    ({'operation': 'image_resize', 'width': 0}, 'width', 'greater than or equal to 1'),
    ({'operation': 'image_watermark', 'text': '  '}, 'text', 'A watermark needs a text'),
    ({'operation': 'image_watermark', 'text': 'x', 'opacity': 0}, 'opacity', 'greater than 0'),
    ({'operation': 'image_watermark', 'text': 'x', 'format': 'gif'}, 'format', "'jpeg', 'png' or 'webp'"),
    ({'operation': 'copy', 'width': 100}, 'width', 'width applies to the operation image_resize only'),
    ({'operation': 'video_transcode', 'crf': 70}, 'crf', 'must be from 0 to 51'),
    ({'operation': 'video_transcode', 'scale': '1280x720'}, 'scale', "must be 'WIDTH:HEIGHT'"),
    ({'operation': 'video_transcode', 'codec': 'copy', 'preset': 'fast'}, 'preset', "does not apply to codec"),
    ({'operation': 'shred'}, 'operation', "'checksum', 'copy'"),
    ({'source': '{source}'}, 'operation', 'is missing'),
])
def test_bad_params_are_refused_with_the_field_and_a_clear_reason(tmp_path, params, where, says):
    source = tmp_path / 'src'
    (source / 'sub').mkdir(parents=True)
    (source / 'photo.jpg').write_bytes(b'x')
    (source / 'sub' / 'deep.txt').write_text('x')
    (tmp_path / 'other').write_text('a file, not a folder')
    names = {'missing': tmp_path / 'nope', 'file': source / 'photo.jpg', 'source': source, 'tmp': tmp_path,
             'other': tmp_path / 'other'}
    body = {'source': '{source}', **params}
    body = {k: v.format(**names) if isinstance(v, str) else v for k, v in body.items()}
    with pytest.raises(InvalidParams) as caught:
        registry.get('batch').validate(body)
    fields = where if isinstance(where, tuple) else (where,)  # a rule over two fields is told at both
    assert [error['loc'] for error in caught.value.errors] == [['params', field] for field in fields]
    assert all(says in error['msg'] for error in caught.value.errors), caught.value.errors


def test_a_refused_batch_is_not_stored(service, tmp_path):
    with pytest.raises(InvalidParams, match=r"no file matches the pattern '\*.jpg' in the folder"):
        service.submit('batch', {'source': str(tmp_path), 'pattern': '*.jpg', 'operation': 'checksum'})
    assert service.list()['total'] == 0
