"""What `GET /api/jobs/{id}/result` sends: the single output file, or a zip of the output folder."""

from __future__ import annotations

import mimetypes
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

from progress_app.errors import NotFound

# Media is already compressed; storing keeps zipping a folder of videos as fast as copying it.
STORED_SUFFIXES = {'.mp4', '.mkv', '.webm', '.mov', '.jpg', '.jpeg', '.png', '.webp', '.gif', '.zip', '.gz', '.mp3'}


@dataclass(frozen=True, slots=True)
class Download:
    path: Path
    filename: str
    media_type: str
    temporary: bool


def output_download(job_id: int, folder: Path) -> Download:
    """The job's output folder as one download; raises NotFound when it is missing or empty."""
    files = sorted(p for p in folder.rglob('*') if p.is_file() and not p.is_symlink()) if folder.is_dir() else []
    if not files:
        raise NotFound(f'job {job_id} has no output files')
    if len(files) == 1:
        media = mimetypes.guess_type(files[0].name)[0] or 'application/octet-stream'
        return Download(files[0], files[0].name, media, temporary=False)
    handle = tempfile.NamedTemporaryFile(prefix=f'job-{job_id}-', suffix='.zip', delete=False)
    with handle, zipfile.ZipFile(handle, 'w') as archive:
        for path in files:
            method = zipfile.ZIP_STORED if path.suffix.lower() in STORED_SUFFIXES else zipfile.ZIP_DEFLATED
            archive.write(path, path.relative_to(folder).as_posix(), compress_type=method)
    return Download(Path(handle.name), f'job-{job_id}-output.zip', 'application/zip', temporary=True)
