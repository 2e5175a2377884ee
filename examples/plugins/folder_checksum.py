"""Example plugin: a checksum manifest of a folder (like `sha256sum` over every file), resumable mid-folder.

Copy this file into `<data-dir>/plugins/` and restart the app: a "Folder checksum" kind appears in "New job".
The manifest (`SHA256SUMS` or the like, readable by `sha256sum -c`) becomes the job's download.

Where `word_count.py` lets `ctx.track()` do the bookkeeping, this one reports progress in bytes and keeps its own
resume point, as a job with a few huge files wants to:
- `ctx.set_total(total, unit='bytes')` and `ctx.advance(n)` per chunk: the bar moves inside a large file;
- `ctx.check()` per chunk: pause and cancel take effect within a file, not only between files;
- `ctx.checkpoint({...})` after each file and `ctx.resume_state` on the next attempt: after a crash the job goes on
  at the first file that was not finished, and the manifest lines beyond that point are dropped, so the file that
  was in flight is hashed again and listed once.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field

from progress_app import JobContext, job_kind

CHUNK = 1024 * 1024


@job_kind('folder_checksum', title='Folder checksum', stages={'scan': 1, 'hash': 18, 'verify': 1},
          icon='fingerprint')
def folder_checksum(ctx: JobContext,
                    folder: Annotated[str, Field(description='Folder to checksum (recursively)')],
                    algorithm: Annotated[Literal['sha256', 'sha1', 'md5', 'blake2b'],
                                         Field(description='Hash function')] = 'sha256',
                    pattern: Annotated[str, Field(description="Which files, e.g. '**/*' or '*.mp4'")] = '**/*',
                    ) -> dict:
    """Hash every file of a folder into a manifest that `sha256sum -c` (or md5sum, …) can verify."""
    root = Path(folder).expanduser()
    if not root.is_dir():
        raise ValueError(f"'{root}' is not a folder")

    with ctx.stage('scan'):
        # Sorted, so that a resumed attempt walks the files in the same order as the first one.
        files = sorted(p for p in root.glob(pattern) if p.is_file())
        sizes = [p.stat().st_size for p in files]
        ctx.message(f'{len(files)} files, {sum(sizes) / 1e6:.1f} MB')

    manifest = ctx.output_dir / f'{algorithm.upper()}SUMS'
    state = ctx.resume_state or {'done': 0, 'bytes': 0}
    done, done_bytes = state['done'], state['bytes']
    if done:
        # Lines past the checkpoint belong to the file that was in flight when the app stopped: drop them.
        kept = manifest.read_text(encoding='utf-8').splitlines(keepends=True)[:done] if manifest.exists() else []
        manifest.write_text(''.join(kept), encoding='utf-8')
        ctx.log(f'resuming after {done} of {len(files)} files')
    else:
        manifest.write_text('', encoding='utf-8')

    with ctx.stage('hash'):
        ctx.set_total(sum(sizes), unit='bytes')
        ctx.set_current(done_bytes)
        for index in range(done, len(files)):
            path, name = files[index], files[index].relative_to(root).as_posix()
            ctx.message(f'{algorithm} of {name}')
            digest = hashlib.new(algorithm)
            with path.open('rb') as stream:
                while chunk := stream.read(CHUNK):
                    digest.update(chunk)
                    ctx.advance(len(chunk))
                    ctx.check()
            with manifest.open('a', encoding='utf-8') as out:
                out.write(f'{digest.hexdigest()}  {name}\n')
            done_bytes += sizes[index]
            ctx.checkpoint({'done': index + 1, 'bytes': done_bytes})

    with ctx.stage('verify'):
        listed = len(manifest.read_text(encoding='utf-8').splitlines())
        if listed != len(files):
            raise RuntimeError(f'the manifest lists {listed} files, the folder has {len(files)}')
        ctx.log(f'{manifest.name}: {listed} files, {done_bytes} bytes')
    return {'files': len(files), 'bytes': done_bytes, 'algorithm': algorithm, 'manifest': manifest.name}
