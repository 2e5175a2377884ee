"""`video`: transcode a video, or lay a text or image watermark over it, with the bundled ffmpeg.

Progress is media time written against the probed duration (speed ×realtime and fps in the message); ffmpeg's
stderr goes to the job log. Pause stops ffmpeg with SIGSTOP; cancel kills it and removes the partial output.

An encode of a minute or more goes in segments (`ffmpeg.segmented`): a few encode at once, and a restart, a
crash or a retry goes on at the next unfinished one. A shorter one, or `codec: copy`, is one ffmpeg pass, and a
restart does it again from the start.

The output goes to the job's output folder (the download) unless `output` names a file elsewhere. That file is
then also made downloadable without copying it: a hard link in the output folder (deleting the job removes
only the link). Where a link is impossible (another file system) it is copied if it is at most
`COPY_LIMIT_BYTES`; a bigger one is not downloadable from the app, and the result says so (`download: null`).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from progress_app.errors import JobCancelled
from progress_app.kinds import ffmpeg
from progress_app.kinds.ffmpeg import Audio, Position, Preset, VideoCodec, segmented, segments
from progress_app.kinds.paths import PathParam
from progress_app.kinds.registry import job_kind, shown_when
from progress_app.kinds.titles import Titles

if TYPE_CHECKING:
    from PIL import Image

    from progress_app.runtime.engine.context import JobContext

COPY_LIMIT_BYTES = 100_000_000
"""An output elsewhere that cannot be hard-linked into the output folder is copied there up to this size."""
MARGIN_FRACTION = 0.03
"""A corner watermark sits this share of the frame's smaller side away from the edges."""
FONT_FRACTION = 1 / 12
"""The default text height as a share of the frame height."""


TRANSCODE = shown_when('operation', 'transcode')  # the form shows these options for that operation only
WATERMARK = shown_when('operation', 'watermark')


class VideoParams(BaseModel):
    # Fields are validated in this order: each check may look at the ones above it (`info.data`).
    model_config = ConfigDict(extra='forbid', validate_default=True)

    input: Annotated[str, Field(description='The video file to process'), PathParam('read')]
    output: Annotated[str | None, Field(description="Where to write the result (default: the job's output folder, "
                                                    'which is the download)'), PathParam('write')] = None
    operation: Annotated[Literal['transcode', 'watermark'], Titles({'transcode': 'Transcode',
                                                                     'watermark': 'Add a watermark'}),
                         Field(description='Transcode, or add a watermark')] = 'transcode'
    codec: Annotated[VideoCodec, Field(description="Video codec of the output; 'copy' keeps the video as it is")
                     ] = 'h264'
    crf: Annotated[int | None, Field(title='Quality (CRF)', description='Lower is better and bigger (h264/h265 '
                                     '0–51, default 23/28; vp9 0–63, default 31)')] = None
    preset: Annotated[Preset | None, Field(description='Encoder speed: faster presets give bigger files (default '
                                                       'medium)')] = None
    scale: Annotated[str | None, Field(description="New size 'WIDTH:HEIGHT'; -2 keeps the aspect ratio, e.g. "
                                                   "'1280:-2'", **TRANSCODE)] = None
    audio: Annotated[Audio, Field(description='Keep the audio as it is, re-encode it to AAC, or drop it')] = 'aac'
    text: Annotated[str | None, Field(max_length=200, description='Watermark text', **WATERMARK)] = None
    image: Annotated[str | None, Field(description='Watermark image (PNG with transparency works best)',
                                        **WATERMARK), PathParam('read')] = None
    position: Annotated[Position, Field(description='Where the watermark goes', **WATERMARK)] = 'bottom-right'
    opacity: Annotated[float, Field(gt=0, le=1, description='Watermark opacity: 1 is solid', **WATERMARK)] = 0.7
    font_size: Annotated[int | None, Field(ge=6, le=1000, description='Text height in pixels (default: 1/12 of '
                                                                      'the frame height)', **WATERMARK)] = None
    segment_seconds: Annotated[int | None, Field(
        ge=0, le=3600, title='Segment length (s)',
        description='A long encode goes in pieces of this much media time: several encode at once, and after a '
                    'crash or a restart it goes on at the next unfinished piece (default, for videos of '
                    f'{segments.SEGMENTED_FROM_SECONDS:g} s or more: a {segments.SEGMENTS_AIMED}th of the video, '
                    f'{segments.MIN_SEGMENT_SECONDS:g} to {segments.MAX_SEGMENT_SECONDS:g} s; 0: always one piece)')
                     ] = None

    @field_validator('output', 'scale', 'text', 'image', mode='before')
    @classmethod
    def _blank_is_none(cls, value: Any) -> Any:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator('input')
    @classmethod
    def _input_readable(cls, value: str) -> str:
        return str(_readable_file(value))

    @field_validator('output')
    @classmethod
    def _output_writable(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is None:
            return None
        path = Path(value).expanduser().absolute()
        if path.is_dir():
            raise ValueError(f"'{path}' is a folder: give a file name, e.g. '{path / 'video.mp4'}'")
        if not path.parent.is_dir():
            raise ValueError(f"the folder '{path.parent}' does not exist")
        if not os.access(path.parent, os.W_OK | os.X_OK):
            raise ValueError(f"the folder '{path.parent}' is not writable")
        if path.exists() and not os.access(path, os.W_OK):
            raise ValueError(f"'{path}' exists and is not writable")
        source = info.data.get('input')
        if source and (path == Path(source) or (path.exists() and os.path.samefile(path, source))):
            raise ValueError('is the input file: choose another name (the input is never overwritten)')
        ffmpeg.check_output_suffix(path, 'copy', 'copy')
        return str(path)

    @field_validator('codec')
    @classmethod
    def _codec_fits(cls, value: str, info: ValidationInfo) -> str:
        if value == 'copy' and info.data.get('operation') == 'watermark':
            raise ValueError("a watermark needs re-encoding: choose h264, h265 or vp9, not 'copy'")
        output = _output_name(info.data, value)
        if output is not None:
            ffmpeg.check_output_suffix(output, value, 'copy')
        return value

    @field_validator('crf', 'preset', 'scale')
    @classmethod
    def _fits_codec(cls, value: Any, info: ValidationInfo) -> Any:
        if info.field_name == 'scale' and value is not None and info.data.get('operation') == 'watermark':
            raise ValueError("applies to operation 'transcode' only")
        return ffmpeg.fit_option(info.field_name, info.data.get('codec'), value)

    @field_validator('audio')
    @classmethod
    def _audio_fits(cls, value: str, info: ValidationInfo) -> str:
        output = _output_name(info.data, info.data.get('codec'))
        if output is not None:
            ffmpeg.check_output_suffix(output, info.data['codec'], value)
        return value

    @field_validator('segment_seconds')
    @classmethod
    def _segments_encode(cls, value: int | None, info: ValidationInfo) -> int | None:
        if value and info.data.get('codec') == 'copy':
            raise ValueError("applies to encoding only, not to codec 'copy'")
        return value

    @field_validator('text')
    @classmethod
    def _text_for_watermark(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is not None and info.data.get('operation', 'watermark') != 'watermark':
            raise ValueError("only used by operation 'watermark'")
        return value

    @field_validator('image')
    @classmethod
    def _one_watermark(cls, value: str | None, info: ValidationInfo) -> str | None:
        if 'operation' not in info.data:
            return value
        if info.data['operation'] != 'watermark':
            if value is not None:
                raise ValueError("only used by operation 'watermark'")
            return None
        if value is None and info.data.get('text') is None:
            if 'text' not in info.data:  # the text itself was refused: that error says enough
                return None
            raise ValueError("a watermark needs a 'text' or an 'image'")
        if value is None:
            return None
        if info.data.get('text') is not None:
            raise ValueError("give either a 'text' or an 'image', not both")
        path = _readable_file(value)
        from PIL import Image, UnidentifiedImageError  # here, not at the top: Pillow would add ~20 ms to each start

        try:
            with Image.open(path) as picture:
                picture.verify()
        except (UnidentifiedImageError, OSError, SyntaxError) as exc:
            raise ValueError(f"'{path}' is not an image that can be read ({exc})") from None
        return str(path)


def _readable_file(value: str) -> Path:
    path = Path(value).expanduser().absolute()
    if not path.exists():
        raise ValueError(f"'{path}' does not exist")
    if not path.is_file():
        raise ValueError(f"'{path}' is not a file")
    try:
        with path.open('rb') as handle:
            first = handle.read(1)
    except OSError as exc:
        raise ValueError(f"'{path}' cannot be read: {exc.strerror}") from None
    if not first:
        raise ValueError(f"'{path}' is empty")
    return path


def _output_name(data: dict[str, Any], codec: str | None) -> str | None:
    """The output file the job will write (as far as the fields validated so far tell)."""
    if codec is None or 'input' not in data:
        return None
    return data.get('output') or f'output{ffmpeg.output_suffix(codec, data["input"])}'


@job_kind('video', title='Video', params=VideoParams, stages={'probe': 5, 'encode': 90, 'finalize': 5},
          icon='movie',
          description='Transcode a video (h264, h265, vp9; quality, speed, size, audio) or add a text or image '
                      'watermark, with live progress, speed and ETA from ffmpeg.')
def video(ctx: JobContext, input: str, output: str | None = None, operation: str = 'transcode',
          codec: VideoCodec = 'h264', crf: int | None = None, preset: Preset | None = None, scale: str | None = None,
          audio: Audio = 'aac', text: str | None = None, image: str | None = None,
          position: Position = 'bottom-right', opacity: float = 0.7, font_size: int | None = None,
          segment_seconds: int | None = None) -> dict[str, Any]:
    try:
        with ctx.stage('probe'):
            info = ffmpeg.probe(input)
            ctx.log(f'[video] input: {input}: {info.describe()}')
            target = (Path(output) if output
                      else ctx.output_dir / f'{Path(input).stem}{ffmpeg.output_suffix(codec, input)}')
            ctx.message(f'{info.describe()} → {target.name}')
            overlay = margin = None
            if operation == 'watermark':
                margin = max(4, round(min(info.width or 0, info.height or 0) * MARGIN_FRACTION))
                overlay = ctx.scratch_dir / 'watermark.png'
                make_overlay(overlay, info, margin=margin, text=text, image=image, font_size=font_size)
            # One pass for codec copy, and for an output the segments cannot be joined into by stream copy.
            fits = codec != 'copy' and target.suffix.lower() in segmented.CONTAINERS
            length = segments.length_for(info.duration, segment_seconds) if fits else None
            work = None if length is None else segmented.prepare(
                ctx, input, target, {'codec': codec, 'crf': crf, 'preset': preset, 'scale': scale,
                                     'overlay': None if overlay is None else str(overlay), 'position': position,
                                     'opacity': opacity, 'margin': margin or 0},
                audio=None if audio == 'none' or not info.audio_codec else audio, length=length)
        with ctx.stage('encode'):
            if work is not None:
                stats = segmented.run(ctx, work)
            elif overlay is not None:
                args = ffmpeg.watermark_args(input, target, overlay, position=position, opacity=opacity,
                                             margin=margin or 0, codec=codec, crf=crf, preset=preset, audio=audio)
                stats = ffmpeg.encode(ctx, args, info.duration)
            else:
                args = ffmpeg.transcode_args(input, target, codec=codec, crf=crf, preset=preset, scale=scale,
                                             audio=audio)
                stats = ffmpeg.encode(ctx, args, info.duration)
    except JobCancelled:
        segmented.discard(ctx)
        raise
    segmented.discard(ctx)
    with ctx.stage('finalize'):
        result = ffmpeg.probe(target)
        download = publish(ctx, target)
        speed = f', {stats.speed:.2f}× realtime' if stats.speed else ''
        ctx.message(f'{result.describe()} in {stats.seconds:.1f} s{speed}')
        ctx.log(f'[video] output: {target}: {result.describe()}')
        ctx.set_total(info.duration, 'seconds')  # a done video shows the media written (30 / 30 s), not 0
        ctx.set_current(info.duration or stats.media_seconds)
    return {'output': str(target), 'duration': result.duration, 'size': result.size, 'codec': result.video_codec,
            'audio_codec': result.audio_codec, 'width': result.width, 'height': result.height,
            'operation': operation, 'encode_seconds': round(stats.seconds, 3),
            'speed': round(stats.speed, 2) if stats.speed else None, 'download': download,
            'segments': None if work is None else len(work.plan)}


def make_overlay(path: Path, info: ffmpeg.MediaInfo, *, margin: int, text: str | None = None,
                 image: str | None = None, font_size: int | None = None) -> None:
    """Write the watermark as a transparent PNG that fits inside the frame: the text (white with a dark outline,
    readable on any picture, in Pillow's built-in font so no system font is needed) or the image."""
    from PIL import Image, ImageOps

    height = info.height or 480
    if image is not None:
        with Image.open(image) as opened:
            picture = ImageOps.exif_transpose(opened).convert('RGBA')
    else:
        picture = render_text(text or '', font_size or max(10, round(height * FONT_FRACTION)))
    room = (max(1, (info.width or picture.width) - 2 * margin), max(1, height - 2 * margin))
    if picture.width > room[0] or picture.height > room[1]:
        picture.thumbnail(room, Image.Resampling.LANCZOS)
    picture.save(path)


def render_text(text: str, size: int) -> Image.Image:
    """`text` as a tightly cropped RGBA image, white with a dark outline, `size` pixels high."""
    from PIL import Image, ImageDraw, ImageFont

    font = ImageFont.load_default(size=size)
    stroke = max(1, size // 14)
    measure = ImageDraw.Draw(Image.new('RGBA', (1, 1)))
    left, top, right, bottom = measure.multiline_textbbox((0, 0), text, font=font, stroke_width=stroke)
    picture = Image.new('RGBA', (right - left, bottom - top), (0, 0, 0, 0))
    ImageDraw.Draw(picture).multiline_text((-left, -top), text, font=font, fill=(255, 255, 255, 255),
                                           stroke_width=stroke, stroke_fill=(0, 0, 0, 255))
    return picture


def publish(ctx: JobContext, target: Path) -> str | None:
    """Make `target` the job's download; how: 'output folder', 'hard link', 'copy', or None (too big to copy)."""
    folder = ctx.output_dir
    if target.parent == folder:
        return 'output folder'
    shown = folder / target.name
    shown.unlink(missing_ok=True)  # from an earlier attempt
    try:
        os.link(target, shown)
        return 'hard link'
    except OSError as exc:
        reason = exc.strerror
    if target.stat().st_size <= COPY_LIMIT_BYTES:
        shutil.copyfile(target, shown)
        return 'copy'
    ctx.log(f'[video] {target} is not downloadable from the app: it cannot be linked into the output folder '
            f'({reason}) and is too big to copy')
    return None
