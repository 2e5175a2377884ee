"""The `batch` kind's parameters: what the new-job form shows and what the API validates.

The options of some operations only carry a `shown_when` mark: the form shows them for those operations (see
params_form.py), and one given a value for another operation is refused as a mistake.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

from progress_app.errors import ParamsRule
from progress_app.kinds import ffmpeg
from progress_app.kinds.batch.files import iter_files
from progress_app.kinds.ffmpeg import Audio, Preset, VideoCodec
from progress_app.kinds.images import OutputFormat, Position
from progress_app.kinds.paths import PathParam
from progress_app.kinds.registry import shown_only_for, shown_when
from progress_app.kinds.titles import Titles

Operation = Annotated[Literal['checksum', 'copy', 'image_resize', 'image_watermark', 'video_transcode'],
                      Titles({'checksum': 'Checksums (a SHA-256 list)', 'copy': 'Copy', 'image_resize': 'Resize images',
                              'image_watermark': 'Watermark images', 'video_transcode': 'Transcode videos'})]
RESIZE = shown_when('operation', 'image_resize')
WATERMARK = shown_when('operation', 'image_watermark')
VIDEOS = shown_when('operation', 'video_transcode')
IMAGES = shown_when('operation', 'image_resize', 'image_watermark')


class BatchParams(BaseModel):
    model_config = ConfigDict(extra='forbid')

    source: Annotated[str, Field(title='Source folder', description='The folder with the files'), PathParam('read')]
    pattern: Annotated[str, Field(description="Which files: a pattern on the name, case-insensitive; several "
                                              "separated by commas ('*.jpg, *.png')")] = '*'
    recursive: Annotated[bool, Field(description='Include the files in subfolders')] = False
    operation: Annotated[Operation, Field(description='What to do with each file')]
    dest: Annotated[str | None, Field(title='Destination folder',
                                      description="Where the outputs go (default: the job's output folder, "
                                                  'downloadable); not inside the source folder'),
                    PathParam('write')] = None
    # Each operation's own options; the new-job form shows those of the chosen operation only.
    width: Annotated[int | None, Field(ge=1, le=20000, description='Resize: the largest width in pixels',
                                       **RESIZE)] = None
    height: Annotated[int | None, Field(ge=1, le=20000, description='Resize: the largest height in pixels',
                                        **RESIZE)] = None
    keep_aspect: Annotated[bool, Field(description='Resize: keep the proportions (fit within width × height)',
                                       **RESIZE)] = True
    enlarge: Annotated[bool, Field(description='Resize: also enlarge smaller images', **RESIZE)] = False
    format: Annotated[OutputFormat, Field(title='Image format', description='Images: the output format',
                                          **IMAGES)] = 'same'
    quality: Annotated[int, Field(ge=1, le=100, description='Images: JPEG/WebP quality', **IMAGES)] = 90
    text: Annotated[str | None, Field(max_length=200, description='Watermark: the text', **WATERMARK)] = None
    position: Annotated[Position, Field(description='Watermark: where the text goes', **WATERMARK)] = 'bottom-right'
    opacity: Annotated[float, Field(gt=0, le=1, description='Watermark: 1 is opaque', **WATERMARK)] = 0.5
    font_size: Annotated[int | None, Field(ge=6, le=1000, description='Watermark: text height in pixels (default: '
                                                                      "5 % of the image's shorter side)",
                                           **WATERMARK)] = None
    codec: Annotated[VideoCodec, Field(description="Videos: the output's video codec ('copy' keeps the video)",
                                       **VIDEOS)] = 'h264'
    crf: Annotated[int | None, Field(title='Quality (CRF)', description='Videos: lower is better and bigger '
                                     '(h264/h265 0–51, default 23/28; vp9 0–63, default 31)', **VIDEOS)] = None
    preset: Annotated[Preset | None, Field(description='Videos: encoder speed (default medium)', **VIDEOS)] = None
    scale: Annotated[str | None, Field(description="Videos: new size 'WIDTH:HEIGHT', -2 keeps the aspect ratio "
                                                   "('1280:-2')", **VIDEOS)] = None
    audio: Annotated[Audio, Field(description='Videos: copy the audio, re-encode it to AAC, or drop it',
                                  **VIDEOS)] = 'aac'

    @field_validator('dest', 'text', 'scale', mode='before')
    @classmethod
    def _blank_is_none(cls, value: Any) -> Any:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator('source')
    @classmethod
    def _source_is_a_readable_folder(cls, value: str) -> str:
        path = Path(value).expanduser()
        if not value.strip() or not path.exists():
            raise ValueError(f"the folder '{value}' does not exist")
        if not path.is_dir():
            raise ValueError(f"'{value}' is a file, not a folder")
        if not os.access(path, os.R_OK | os.X_OK):
            raise ValueError(f"the folder '{value}' cannot be read (permission denied)")
        return os.path.abspath(path)  # stored absolute: a restart from another working folder finds it too

    @field_validator('pattern')
    @classmethod
    def _pattern_stays_inside(cls, value: str) -> str:
        parts = [p.strip() for p in value.split(',') if p.strip()]
        if not parts:
            raise ValueError("must not be empty (use '*' for every file)")
        for part in parts:
            if part.startswith('/') or '..' in part.split('/'):
                raise ValueError(f"'{part}' would leave the source folder; patterns are relative to it")
        return value

    @field_validator('dest')
    @classmethod
    def _dest_is_writable_and_apart(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is None or not value.strip():
            return None
        operation, source = info.data.get('operation'), info.data.get('source')
        if operation == 'checksum':
            raise ValueError("does not apply to checksum: the manifest goes to the job's output folder "
                             '(downloadable); leave dest empty')
        target = Path(value).expanduser().resolve()
        if source is not None:
            inputs = Path(source).resolve()
            if target == inputs or target.is_relative_to(inputs):
                raise ValueError(f"'{value}' is inside the source folder '{source}': the outputs would mix with "
                                 'the inputs (and be picked up as inputs); choose a folder outside it')
        problem = _unwritable(target, value)
        if problem:
            raise ValueError(f'{problem}; choose another destination')
        return str(target)

    @field_validator('crf', 'preset', 'scale')
    @classmethod
    def _fits_codec(cls, value: Any, info: ValidationInfo) -> Any:
        encodes = info.data.get('operation') == 'video_transcode' or info.field_name == 'preset'
        return ffmpeg.fit_option(info.field_name, info.data.get('codec') if encodes else None, value)

    @model_validator(mode='after')
    def _operation_can_run(self) -> BatchParams:
        for name, field in type(self).model_fields.items():
            operations = shown_only_for(field, 'operation')
            if field.default is None and getattr(self, name) is not None and operations \
                    and self.operation not in operations:
                raise ParamsRule(f"{name} applies to the operation {' and '.join(operations)} only, "
                                 f'not to {self.operation}', name)
        if self.operation == 'image_resize':
            if self.width is None and self.height is None:
                raise ParamsRule('Resizing needs a width, a height or both', 'width', 'height')
            if not self.keep_aspect and (self.width is None or self.height is None):
                raise ParamsRule('Resizing without keeping the aspect needs both a width and a height',
                                 *(name for name in ('width', 'height') if getattr(self, name) is None))
        if self.operation == 'image_watermark' and not (self.text or '').strip():
            raise ParamsRule('A watermark needs a text', 'text')
        if next(iter_files(Path(self.source), self.pattern, self.recursive), None) is None:
            where = 'in it or its subfolders' if self.recursive else 'directly in it (subfolders are not searched: ' \
                                                                     'set recursive)'
            raise ParamsRule(f"no file matches the pattern '{self.pattern}' in the folder '{self.source}' ({where})",
                             'pattern')
        return self


def _unwritable(folder: Path, shown: str) -> str | None:
    """Why files cannot be written into `folder` (creating it if need be), or None. Tried for real, and undone:
    permission bits say nothing about /proc, a read-only mount or root (for whom os.access is always true), and
    every file of the job would fail later with an error that seems to be about its source."""
    existing = next(p for p in (folder, *folder.parents) if p.exists())
    if not existing.is_dir():
        return f"cannot create the folder '{shown}': '{existing}' is a file"
    try:
        if existing == folder:
            with tempfile.TemporaryFile(dir=folder):
                pass
        else:  # the first folder that would be made: made and removed again
            first = existing / folder.relative_to(existing).parts[0]
            first.mkdir()
            first.rmdir()
    except OSError as exc:
        reason = exc.strerror or str(exc)
        if existing == folder:
            return f"cannot write to the folder '{shown}' ({reason})"
        return f"cannot create the folder '{shown}': '{existing}' does not take new folders ({reason})"
    return None
