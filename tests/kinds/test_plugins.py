"""Plugins: `<data-dir>/plugins/*.py` imported at engine start, failures reported and contained; the examples."""

from __future__ import annotations

import csv
import hashlib
import shutil
import subprocess
import sys
import textwrap
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from progress_app.config import JobPaths
from progress_app.kinds.plugins import MODULE_PREFIX, load_plugins
from progress_app.kinds.registry import Registry, registry
from tests.helpers import ROOT, wait_until

EXAMPLES = ROOT / 'examples' / 'plugins'
BIG_MB = 256


@pytest.fixture(autouse=True)
def forget_plugins() -> Iterator[None]:
    """The registry is process-wide: drop what this test's plugins registered."""
    yield
    for kind in registry.all():
        if kind.source.startswith('plugins/'):
            registry.remove(kind.name)
    for name in [m for m in sys.modules if m.startswith(MODULE_PREFIX)]:
        del sys.modules[name]


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    (tmp_path / 'data' / 'plugins').mkdir(parents=True)
    return tmp_path / 'data'


def uid() -> str:
    return uuid.uuid4().hex[:8]


def write(folder: Path, name: str, code: str) -> Path:
    path = folder / name
    path.write_text(textwrap.dedent(code).lstrip())
    return path


def test_plugins_are_loaded_at_start_and_their_jobs_run(make_service, data_dir):
    kind = f'greet_{uid()}'
    write(data_dir / 'plugins', f'{kind}.py', f'''
        from typing import Annotated, Literal
        from pydantic import Field
        from progress_app import JobContext, job_kind

        @job_kind('{kind}', title='Greet', stages={{'collect': 1, 'write': 3}})
        def greet(ctx: JobContext, names: list[str], punctuation: Literal['!', '.'] = '!',
                  repeat: Annotated[int, Field(ge=1, le=3)] = 1) -> dict:
            """Greet everyone, into a file."""
            with ctx.stage('collect'):
                ctx.message(f'{{len(names)}} names')
            with ctx.stage('write'):
                lines = [f'Hello, {{name}}{{punctuation}}' for name in ctx.track(names * repeat, unit='names')]
                (ctx.output_dir / 'greetings.txt').write_text('\\n'.join(lines))
                ctx.log(f'wrote {{len(lines)}} lines')
            return {{'greeted': len(lines)}}
    ''')
    service = make_service(data_dir)
    assert service.plugins()['kinds'] == [kind] and service.plugins()['problems'] == []
    described = {k['name']: k for k in service.kinds()}[kind]
    assert described['source'] == f'plugins/{kind}.py'
    assert described['title'] == 'Greet' and described['description'] == 'Greet everyone, into a file.'
    assert described['params_schema']['required'] == ['names']
    assert [s['name'] for s in described['stages']] == ['collect', 'write']

    job = service.submit(kind, {'names': ['Ada', 'Alan'], 'repeat': 2})
    done = service.wait(job['id'], ['completed'], timeout=10)
    assert done['result'] == {'greeted': 4} and done['progress'] == 100 and done['has_output']
    output = JobPaths.under(data_dir).output_dir(job['id']) / 'greetings.txt'
    assert output.read_text().splitlines() == ['Hello, Ada!', 'Hello, Alan!'] * 2
    assert 'wrote 4 lines' in service.log(job['id'])[0]


def test_broken_plugins_are_reported_and_contained(make_service, data_dir):
    plugins, ok1, ok2, partial = data_dir / 'plugins', f'ok_{uid()}', f'ok_{uid()}', f'partial_{uid()}'
    header = 'from progress_app import job_kind\n'
    write(plugins, 'a_good.py', f"{header}\n@job_kind('{ok1}')\ndef run(ctx):\n    return 1\n")
    write(plugins, 'b_syntax.py', 'x = 1\n\ndef broken(:\n    pass\n')
    raises = write(plugins, 'c_raises.py', f'''
        {header}
        @job_kind('{partial}')
        def first(ctx):
            return 1

        settings = {{}}
        path = settings['folder']
    ''')
    write(plugins, 'd_bad_kind.py', f"{header}\n\n@job_kind('bad_{uid()}')\ndef run(ctx, *files):\n    pass\n")
    write(plugins, 'e_duplicate.py', f"{header}\n@job_kind('demo')\ndef demo(ctx):\n    pass\n")
    write(plugins, 'f_good.py', f"{header}\n@job_kind('{ok2}')\ndef run(ctx):\n    return 2\n")
    write(plugins, '_helper.py', "raise RuntimeError('helpers are not plugins')\n")
    write(plugins, 'notes.txt', 'not python')

    service = make_service(data_dir)
    report = service.plugins()  # startup() returned: a broken plugin did not stop the app
    problems = {Path(p.path).name: p for p in report['problems']}
    assert sorted(problems) == ['b_syntax.py', 'c_raises.py', 'd_bad_kind.py', 'e_duplicate.py']
    assert problems['b_syntax.py'].error == "SyntaxError: invalid syntax (line 3)"
    assert problems['b_syntax.py'].line == 3
    failing_line = raises.read_text().splitlines().index("path = settings['folder']") + 1
    assert problems['c_raises.py'].error == f"KeyError: 'folder' (line {failing_line})"
    assert problems['d_bad_kind.py'].error.startswith("KindRegistrationError: run: parameter '*files' is not "
                                                      'allowed')
    assert problems['d_bad_kind.py'].error.endswith('(line 4)')
    assert "a job kind named 'demo' already exists (from builtin" in problems['e_duplicate.py'].error
    assert 'Traceback' in problems['c_raises.py'].detail
    assert problems['c_raises.py'].to_dict()['path'].endswith('c_raises.py')

    names = {k['name']: k['source'] for k in service.kinds()}
    assert names[ok1] == 'plugins/a_good.py' and names[ok2] == 'plugins/f_good.py'
    assert partial not in names, 'kinds a failing plugin registered before it failed are removed'
    assert names['demo'] == 'builtin'
    assert sorted(report['kinds']) == sorted([ok1, ok2])
    assert f'{MODULE_PREFIX}c_raises' not in sys.modules

    job = service.submit(ok2)  # the app works, plugins included
    assert service.wait(job['id'], ['completed'], timeout=10)['result'] == 2
    demo = service.submit('demo', {'items': 2, 'item_seconds': 0})
    assert service.wait(demo['id'], ['completed'], timeout=10)['result'] == {'items': 2}


def test_symlinks_must_stay_inside_the_plugins_folder(tmp_path, data_dir):
    plugins, inside, outside = data_dir / 'plugins', f'inside_{uid()}', f'outside_{uid()}'
    elsewhere = tmp_path / 'elsewhere'
    elsewhere.mkdir()
    write(elsewhere, 'evil.py', f"from progress_app import job_kind\n@job_kind('{outside}')\ndef run(ctx):\n    pass\n")
    (plugins / 'evil.py').symlink_to(elsewhere / 'evil.py')
    write(plugins, '_shared.py', f"from progress_app import job_kind\n@job_kind('{inside}')\ndef run(ctx):\n    pass\n")
    (plugins / 'linked.py').symlink_to(plugins / '_shared.py')

    kinds = Registry()
    added, problems = load_plugins(plugins, kinds)
    assert added == [inside] and kinds.get(inside).source == 'plugins/linked.py'
    assert outside not in kinds and outside not in registry
    assert [(Path(p.path).name, p.error) for p in problems] == [
        ('evil.py', 'the file links outside the plugins folder; not loaded')]


def test_a_private_registry_receives_the_plugins_kinds(data_dir):
    name = f'private_{uid()}'
    write(data_dir / 'plugins', 'mine.py', f"from progress_app import job_kind\n@job_kind('{name}')\ndef run(ctx):\n"
                                           '    pass\n')
    kinds = Registry()
    assert load_plugins(data_dir / 'plugins', kinds) == ([name], [])
    assert name in kinds and name not in registry
    assert load_plugins(data_dir / 'missing', kinds) == ([], [])


def test_a_restarted_engine_loads_its_plugins_again(make_service, data_dir):
    name = f'again_{uid()}'
    path = write(data_dir / 'plugins', 'again.py', f"from progress_app import job_kind\n@job_kind('{name}')\n"
                                                   'def run(ctx):\n    return 1\n')
    first = make_service(data_dir)
    first.shutdown()
    path.write_text(path.read_text().replace('return 1', 'return 2'))  # edited between two starts
    second = make_service(data_dir)
    assert second.plugins()['problems'] == [] and second.plugins()['kinds'] == [name]
    job = second.submit(name)
    assert second.wait(job['id'], ['completed'], timeout=10)['result'] == 2


def test_a_plugin_that_calls_sys_exit_at_import_is_reported_and_the_app_starts(make_service, data_dir):
    plugins, exits, good = data_dir / 'plugins', f'exits_{uid()}', f'good_{uid()}'
    header = 'import sys\nfrom progress_app import job_kind\n'
    script = write(plugins, 'a_script.py', f"""
        import sys
        from progress_app import job_kind

        @job_kind('{exits}')
        def run(ctx):
            return 1

        sys.exit(3)
    """)
    write(plugins, 'b_bare.py', f'{header}sys.exit()\n')
    write(plugins, 'c_good.py', f"{header}@job_kind('{good}')\ndef run(ctx):\n    return 2\n")

    service = make_service(data_dir)
    report = service.plugins()  # startup() returned: a plugin calling sys.exit() did not stop the app
    problems = {Path(p.path).name: p for p in report['problems']}
    line = script.read_text().splitlines().index('sys.exit(3)') + 1
    called = 'SystemExit: the plugin called sys.exit({}) while being imported (line {})'
    assert problems['a_script.py'].error == called.format(3, line)
    assert problems['b_bare.py'].error == called.format('', 3)
    assert report['kinds'] == [good], 'kinds of a plugin that exited are removed, the others load'
    job = service.submit(good)
    assert service.wait(job['id'], ['completed'], timeout=10)['result'] == 2


def test_the_real_app_starts_past_plugins_that_exit_or_raise_keyboard_interrupt(app_process, data_dir):
    plugins, good = data_dir / 'plugins', f'good_{uid()}'
    write(plugins, 'a_exit.py', 'import sys\nsys.exit(1)\n')
    write(plugins, 'b_interrupt.py', 'raise KeyboardInterrupt\n')
    write(plugins, 'c_good.py', f"from progress_app import job_kind\n@job_kind('{good}')\ndef run(ctx):\n"
                                '    return 2\n')
    app = app_process(data_dir=data_dir)  # start() fails if the app exits ("Application startup failed")
    assert good in [k['name'] for k in app.client.get('/api/kinds').json()]
    job = app.submit(good)
    assert wait_until(lambda: app.job(job['id'])['status'] == 'completed', timeout=15)
    log = app.output()
    assert 'a_exit.py was not loaded: SystemExit: the plugin called sys.exit(1) while being imported' in log
    assert 'b_interrupt.py was not loaded: KeyboardInterrupt' in log


# -- the example plugins in examples/plugins -------------------------------------------------------------------

@pytest.fixture
def examples(make_service, data_dir):
    for path in EXAMPLES.glob('*.py'):
        shutil.copy(path, data_dir / 'plugins' / path.name)
    return make_service(data_dir)


def test_the_examples_load_and_describe_themselves(examples):
    assert examples.plugins()['problems'] == []
    kinds = {k['name']: k for k in examples.kinds()}
    assert kinds['word_count']['source'] == 'plugins/word_count.py'
    assert kinds['folder_checksum']['source'] == 'plugins/folder_checksum.py'
    schema = kinds['folder_checksum']['params_schema']
    assert schema['required'] == ['folder']
    assert schema['properties']['algorithm']['enum'] == ['sha256', 'sha1', 'md5', 'blake2b']
    assert all(kinds[name]['description'] for name in ('word_count', 'folder_checksum'))


def test_word_count_example_runs_to_completion(examples, tmp_path):
    texts = tmp_path / 'texts'
    (texts / 'sub').mkdir(parents=True)
    (texts / 'a.txt').write_text('the cat sat\non the mat\n')
    (texts / 'sub' / 'b.txt').write_text('The end.')
    (texts / 'ignored.md').write_text('not counted')
    job = examples.submit('word_count', {'folder': str(texts), 'top': 2})
    done = examples.wait(job['id'], ['completed'], timeout=10)
    assert done['result'] == {'files': 2, 'lines': 3, 'words': 8, 'chars': 31, 'commonest': {'the': 3, 'cat': 1},
                              'report': 'word_counts.csv'}
    with (examples.config.job_paths.output_dir(job['id']) / 'word_counts.csv').open() as report:
        rows = list(csv.reader(report))
    assert rows == [['file', 'lines', 'words', 'chars'], ['a.txt', '2', '6', '23'], ['sub/b.txt', '1', '2', '8'],
                    ['TOTAL', '3', '8', '31']]
    assert [s['state'] for s in done['stages']] == ['done', 'done', 'done']
    bad = examples.submit('word_count', {'folder': str(tmp_path / 'nope')})
    failed = examples.wait(bad['id'], ['failed'], timeout=10)
    assert 'is not a folder' in failed['error'] and failed['error_stage'] == 'scan'


def test_folder_checksum_example_writes_a_manifest_sha256sum_accepts(examples, tmp_path):
    folder = tmp_path / 'backup'
    (folder / 'deep' / 'er').mkdir(parents=True)
    files = {'a.bin': b'\x00' * 3000, 'deep/b.txt': b'hello', 'deep/er/c d.txt': b'spaces in names', 'e': b''}
    for name, content in files.items():
        (folder / name).write_bytes(content)
    job = examples.submit('folder_checksum', {'folder': str(folder)})
    done = examples.wait(job['id'], ['completed'], timeout=10)
    assert done['result'] == {'files': 4, 'bytes': 3020, 'algorithm': 'sha256', 'manifest': 'SHA256SUMS'}
    assert done['unit'] == 'bytes'
    manifest = examples.config.job_paths.output_dir(job['id']) / 'SHA256SUMS'
    expected = sorted(f'{hashlib.sha256(content).hexdigest()}  {name}' for name, content in files.items())
    assert sorted(manifest.read_text().splitlines()) == expected
    if shutil.which('sha256sum'):
        check = subprocess.run(['sha256sum', '-c', str(manifest)], cwd=folder, capture_output=True, text=True)
        assert check.returncode == 0, check.stdout + check.stderr


def test_folder_checksum_example_resumes_at_the_unfinished_file(make_service, data_dir, tmp_path):
    """Paused inside a big file, the app stops; the next start resumes at that file and lists each file once."""
    shutil.copy(EXAMPLES / 'folder_checksum.py', data_dir / 'plugins')
    folder = tmp_path / 'media'
    folder.mkdir()
    (folder / '1.txt').write_bytes(b'one')
    (folder / '2.txt').write_bytes(b'two')
    with (folder / '3-big.bin').open('wb') as big:
        big.truncate(BIG_MB * 1024 * 1024)  # sparse: takes no disk, takes a while to hash
    (folder / '4.txt').write_bytes(b'four')

    service = make_service(data_dir, workers=1)
    job = service.submit('folder_checksum', {'folder': str(folder), 'algorithm': 'sha1'})
    live = service.job(job['id'])
    wait_until(lambda: (live.checkpoint_state or {}).get('done') == 2, timeout=10)
    assert service.pause(job['id'])['status'] == 'paused'
    assert live.checkpoint_state['done'] == 2, 'the pause should take effect inside the big file'
    service.shutdown()

    service = make_service(data_dir, workers=1)
    assert service.get(job['id'])['status'] == 'paused'
    service.resume(job['id'])
    done = service.wait(job['id'], ['completed'], timeout=30)
    assert done['attempts'] == 2 and done['result']['files'] == 4
    zeros = hashlib.sha1()
    for _ in range(BIG_MB):
        zeros.update(bytes(1024 * 1024))
    manifest = (service.config.job_paths.output_dir(job['id']) / 'SHA1SUMS').read_text().splitlines()
    assert manifest == [f'{hashlib.sha1(b"one").hexdigest()}  1.txt', f'{hashlib.sha1(b"two").hexdigest()}  2.txt',
                        f'{zeros.hexdigest()}  3-big.bin', f'{hashlib.sha1(b"four").hexdigest()}  4.txt']
    log = service.log(job['id'])[0]
    assert 'resuming after 2 of 4 files' in log
