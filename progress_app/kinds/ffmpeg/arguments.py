"""ffmpeg arguments for transcoding and watermarking, and the checks the kinds' params validators run on them."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal, get_args

from progress_app.kinds.images import Position
from progress_app.kinds.titles import Titles

VideoCodec = Annotated[Literal['h264', 'h265', 'vp9', 'copy'],
                       Titles({'h264': 'H.264', 'h265': 'H.265 (HEVC)', 'vp9': 'VP9', 'copy': 'Copy (keep the video)'})]
Audio = Annotated[Literal['copy', 'aac', 'none'],
                  Titles({'copy': 'Copy (keep the audio)', 'aac': 'AAC', 'none': 'None (drop the audio)'})]
PresetName = Literal['ultrafast', 'superfast', 'veryfast', 'faster', 'fast', 'medium', 'slow', 'slower', 'veryslow']
Preset = Annotated[PresetName, Titles({'ultrafast': 'Ultra fast', 'superfast': 'Super fast', 'veryfast': 'Very fast',
                                       'faster': 'Faster', 'fast': 'Fast', 'medium': 'Medium', 'slow': 'Slow',
                                       'slower': 'Slower', 'veryslow': 'Very slow'})]
PRESETS: tuple[str, ...] = get_args(PresetName)


@dataclass(frozen=True, slots=True)
class Codec:
    encoder: str
    crf_range: tuple[int, int]
    default_crf: int
    even_size: bool
    """yuv420p in x264/x265 needs an even width and height."""


CODECS: dict[str, Codec] = {
    'h264': Codec('libx264', (0, 51), 23, even_size=True),
    'h265': Codec('libx265', (0, 51), 28, even_size=True),
    'vp9': Codec('libvpx-vp9', (0, 63), 31, even_size=False),
}
# libvpx has no named presets: each x264 name maps to a deadline and a cpu-used (speed) value.
VP9_PRESETS = {'ultrafast': ('realtime', 8), 'superfast': ('realtime', 7), 'veryfast': ('good', 5),
               'faster': ('good', 4), 'fast': ('good', 3), 'medium': ('good', 2), 'slow': ('good', 1),
               'slower': ('good', 0), 'veryslow': ('best', 0)}
CONTAINERS = ('.mp4', '.m4v', '.mov', '.mkv', '.webm', '.avi', '.ts')
"""Output file extensions ffmpeg can write video into (it picks the format from the extension)."""
FASTSTART = ('.mp4', '.m4v', '.mov')


_SCALE = re.compile(r'^(-1|-2|\d{1,5}):(-1|-2|\d{1,5})$')


def check_preset(codec: str | None, preset: str | None) -> None:
    """A preset means nothing when the video is copied, not encoded."""
    if preset is not None and codec == 'copy':
        raise ValueError("does not apply to codec 'copy' (the video is not re-encoded)")


def check_crf(codec: str, crf: int | None) -> None:
    """ValueError unless `crf` fits the codec ('copy' takes none)."""
    if crf is None:
        return
    if codec == 'copy':
        raise ValueError("does not apply to codec 'copy' (the video is not re-encoded)")
    low, high = CODECS[codec].crf_range
    if not low <= crf <= high:
        raise ValueError(f'must be from {low} to {high} for {codec} (lower is better quality; '
                         f'{CODECS[codec].default_crf} is the default), not {crf}')


def check_scale(codec: str, scale: str | None) -> None:
    """ValueError unless `scale` is 'W:H' in pixels, with -2 (or -1) for 'keep the aspect ratio'."""
    if scale is None:
        return
    if codec == 'copy':
        raise ValueError("needs re-encoding: does not apply to codec 'copy'")
    found = _SCALE.match(scale.strip())
    if found is None:
        raise ValueError(f"must be 'WIDTH:HEIGHT' in pixels, e.g. '1280:-2' (-2 keeps the aspect ratio), not {scale!r}")
    width, height = (int(v) for v in found.groups())
    if (width < 0 and height < 0) or 0 in (width, height):
        raise ValueError(f'needs a width or a height in pixels, not {scale!r}')
    if CODECS[codec].even_size and (-1 in (width, height) or width % 2 or height % 2):
        raise ValueError(f'{codec} needs an even width and height: use -2, not -1, to keep the aspect ratio, and '
                         f'even numbers (e.g. 1280:-2), not {scale!r}')


def fit_option(name: str, codec: str | None, value: Any) -> Any:
    """The encoding option `name` ('crf', 'preset' or 'scale') as stored; ValueError when it does not fit `codec`
    (None: nothing to check against, e.g. the operation does not encode or the codec itself is invalid)."""
    if codec is not None:
        {'crf': check_crf, 'preset': check_preset, 'scale': check_scale}[name](codec, value)
    return (value.strip() or None) if name == 'scale' and value else value


def check_output_suffix(path: str | os.PathLike[str], codec: str, audio: str) -> None:
    """ValueError unless ffmpeg can write `codec` video and `audio` audio into a file named like `path`."""
    suffix = Path(path).suffix.lower()
    if suffix not in CONTAINERS:
        raise ValueError(f"needs a video file extension ({', '.join(CONTAINERS)}), not '{suffix or 'none'}'")
    if suffix == '.webm' and codec in ('h264', 'h265'):
        raise ValueError(f'a .webm file cannot hold {codec} video: use codec vp9, or a .mp4/.mkv file')
    if suffix == '.webm' and audio == 'aac':
        raise ValueError("a .webm file cannot hold AAC audio: use audio 'none' (or 'copy' of Opus/Vorbis audio), "
                         'or a .mp4/.mkv file')


def output_suffix(codec: str, input_path: str | os.PathLike[str]) -> str:
    """The extension of a default output name: the input's for 'copy', else '.mp4' (plays in browsers)."""
    suffix = Path(input_path).suffix.lower()
    return suffix if codec == 'copy' and suffix in CONTAINERS else '.mp4'


def transcode_args(input: str | os.PathLike[str], output: str | os.PathLike[str], *, codec: VideoCodec = 'h264',
                   crf: int | None = None, preset: Preset | None = None, scale: str | None = None,
                   audio: Audio = 'aac') -> list[str]:
    """ffmpeg arguments (without the executable) that transcode `input` into `output`, which comes last.

    `crf`/`preset` default to the codec's own defaults; `scale` is 'W:H' ('1280:-2'); audio is copied,
    re-encoded to AAC or dropped. The first video stream and the first audio stream are kept.
    """
    if codec == 'copy':
        video = ['-c:v', 'copy']
    else:
        fit = f'scale={scale.strip()}' if scale else _EVEN if CODECS[codec].even_size else None
        video = [*(['-vf', fit] if fit else []), *_video_codec(codec, crf, preset)]
    return ['-i', _file(input), '-map', '0:V:0', *_audio(audio), *video, *_container(output, codec), _file(output)]


def watermark_args(input: str | os.PathLike[str], output: str | os.PathLike[str], overlay: str | os.PathLike[str], *,
                   position: Position = 'bottom-right', opacity: float = 1.0, margin: int = 10,
                   codec: VideoCodec = 'h264', crf: int | None = None, preset: Preset | None = None,
                   audio: Audio = 'copy') -> list[str]:
    """ffmpeg arguments that lay the image `overlay` (a PNG, transparency kept) over every frame of `input`.

    `position` is a corner (`margin` pixels in) or the centre; `opacity` from 0 to 1 scales the image's alpha.
    The video is re-encoded with `codec` (not 'copy'); the audio is handled as in `transcode_args`.
    """
    if codec == 'copy':
        raise ValueError("a watermark needs re-encoding: codec 'copy' is not possible")
    graph = _watermark_graph('[0:V:0]', codec, position=position, opacity=opacity, margin=margin)
    return ['-i', _file(input), '-i', _file(overlay), '-filter_complex', graph, '-map', '[video]', *_audio(audio),
            *_video_codec(codec, crf, preset), *_container(output, codec), _file(output)]


def segment_args(input: str | os.PathLike[str], output: str | os.PathLike[str], *, start: float | None,
                 end: float | None, seek: float, codec: VideoCodec, crf: int | None = None,
                 preset: Preset | None = None, scale: str | None = None, overlay: str | os.PathLike[str] | None = None,
                 position: Position = 'bottom-right', opacity: float = 1.0, margin: int = 10) -> list[str]:
    """ffmpeg arguments that encode the frames of `input` whose timestamps are in [`start`, `end`) (None: from the
    beginning, to the end) as one piece of a segmented encode: video only, timestamps from 0, `scale` or the
    watermark `overlay` applied as `transcode_args`/`watermark_args` do.

    Timestamps are the input's own (`-copyts`): the `trim` filter cuts exactly there, after a fast seek to
    `seek` seconds from the file's start (some way before `start`, so that no frame of the piece is skipped).
    """
    cut = ':'.join(f'{name}={value:.6f}' for name, value in (('start', start), ('end', end)) if value is not None)
    head = f'[0:V:0]trim={cut},setpts=PTS-STARTPTS' if cut else '[0:V:0]setpts=PTS-STARTPTS'
    if overlay is not None:
        inputs = ['-i', _file(input), '-i', _file(overlay)]
        graph = _watermark_graph(f'{head},', codec, position=position, opacity=opacity, margin=margin)
    else:
        inputs = ['-i', _file(input)]
        fit = f'scale={scale.strip()}' if scale else _EVEN if CODECS[codec].even_size else 'null'
        graph = f'{head},{fit}[video]'
    return [*(['-ss', f'{seek:.6f}'] if seek > 0 else []), '-copyts', *inputs, '-filter_complex', graph,
            '-map', '[video]', '-an', '-sn', '-dn', *_video_codec(codec, crf, preset), _file(output)]


def audio_args(input: str | os.PathLike[str], output: str | os.PathLike[str], audio: Audio) -> list[str]:
    """ffmpeg arguments that write the first audio stream of `input` alone, copied or encoded to AAC (the audio
    of a segmented encode: done once, in one piece)."""
    return ['-i', _file(input), '-map', '0:a:0', '-vn', '-sn', '-dn', '-c:a', 'copy' if audio == 'copy' else 'aac',
            _file(output)]


def join_args(listing: str | os.PathLike[str], audio: str | os.PathLike[str] | None, output: str | os.PathLike[str],
              codec: VideoCodec) -> list[str]:
    """ffmpeg arguments that join the pieces named in the concat list `listing` without re-encoding, with the
    `audio` file (None: none) beside them, into `output`."""
    inputs, maps = ['-f', 'concat', '-safe', '0', '-i', _file(listing)], ['-map', '0:v:0']
    if audio is not None:
        inputs, maps = [*inputs, '-i', _file(audio)], [*maps, '-map', '1:a:0']
    return [*inputs, *maps, '-c', 'copy', *_container(output, codec), _file(output)]


def _watermark_graph(head: str, codec: str, *, position: Position, opacity: float, margin: int) -> str:
    """The filter graph that lays input 1 over the video `head` leads to (a stream label, or a filter chain on one
    ending with ','); its output is labelled [video]."""
    right, bottom = f'main_w-overlay_w-{margin}', f'main_h-overlay_h-{margin}'
    x, y = {'top-left': (margin, margin), 'top-right': (right, margin), 'bottom-left': (margin, bottom),
            'bottom-right': (right, bottom), 'center': ('(main_w-overlay_w)/2', '(main_h-overlay_h)/2')}[position]
    base = f'{head}{_EVEN}[base]' if CODECS[codec].even_size else f'{head}null[base]'
    return (f'{base};[1:v]format=rgba,colorchannelmixer=aa={opacity:.3f}[mark];'
            f'[base][mark]overlay=x={x}:y={y}:format=auto[video]')


_EVEN = 'crop=trunc(iw/2)*2:trunc(ih/2)*2'
"""Drops the last row/column of an odd-sized video, which x264/x265 cannot encode in yuv420p (a no-op otherwise)."""


def _file(path: str | os.PathLike[str]) -> str:
    # Absolute, so that a name starting with '-' is not read as an option, nor 'a:b.mp4' as protocol 'a'.
    return str(Path(path).absolute())


def _video_codec(codec: str, crf: int | None, preset: str | None) -> list[str]:
    spec = CODECS[codec]
    crf = spec.default_crf if crf is None else crf
    preset = preset or 'medium'
    args = ['-c:v', spec.encoder, '-crf', str(crf), '-pix_fmt', 'yuv420p']
    if codec == 'vp9':
        deadline, speed = VP9_PRESETS[preset]
        return [*args, '-b:v', '0', '-deadline', deadline, '-cpu-used', str(speed), '-row-mt', '1']
    if codec == 'h265':
        args += ['-x265-params', 'log-level=warning']
    return [*args, '-preset', preset]


def _audio(audio: str) -> list[str]:
    if audio == 'none':
        return ['-an']
    return ['-map', '0:a:0?', '-c:a', 'copy' if audio == 'copy' else 'aac']


def _container(output: str | os.PathLike[str], codec: str) -> list[str]:
    if Path(output).suffix.lower() not in FASTSTART:
        return []
    # The index at the front, so a browser plays the download while it loads; hvc1 is the tag Apple players want.
    return ['-movflags', '+faststart', *(['-tag:v', 'hvc1'] if codec == 'h265' else [])]
