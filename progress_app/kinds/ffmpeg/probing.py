"""Probing with ffmpeg alone (the wheel has no ffprobe): what `ffmpeg -i FILE` prints, read into a MediaInfo."""

from __future__ import annotations

import functools
import os
import re
import subprocess
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from progress_app.errors import JobFailed

PROBE_TIMEOUT_SECONDS = 30.0
IMAGE_FORMATS = ('image2', 'png_pipe', 'jpeg_pipe', 'webp_pipe', 'bmp_pipe', 'tiff_pipe', 'jpegls_pipe')


class MediaError(JobFailed):
    """Base of the errors of this module: expected failures of a job (a file that is not a video, a failed encode),
    logged in one line without a Python traceback."""


class NotAVideo(MediaError):
    """The file is not something ffmpeg can read as a video (text, an image, audio only, corrupt)."""


@functools.cache
def executable() -> str:
    """The path of the bundled ffmpeg."""
    import imageio_ffmpeg

    return imageio_ffmpeg.get_ffmpeg_exe()


@dataclass(frozen=True, slots=True)
class MediaInfo:
    path: str
    size: int
    """Bytes."""
    format: str
    duration: float | None
    """Seconds; None when the container does not say."""
    video_codec: str
    width: int | None
    height: int | None
    fps: float | None
    audio_codec: str | None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def describe(self) -> str:
        """'h264 1920x1080 25 fps, aac audio, 0:42.50, 12.3 MB'."""
        size = f' {self.width}x{self.height}' if self.width else ''
        fps = f' {self.fps:g} fps' if self.fps else ''
        audio = f', {self.audio_codec} audio' if self.audio_codec else ', no audio'
        length = clock(self.duration) if self.duration is not None else 'unknown length'
        return f'{self.video_codec}{size}{fps}{audio}, {length}, {self.size / 1e6:.1f} MB'


_INPUT = re.compile(r'^Input #0, ([^,]+(?:,[^,\s]+)*), from ', re.M)
_DURATION = re.compile(r'Duration: (\d+):(\d\d):(\d\d(?:\.\d+)?)')
_VIDEO = re.compile(r'Stream #0:\d+.*?: Video: (\w+)(.*)$', re.M)
_AUDIO = re.compile(r'Stream #0:\d+.*?: Audio: (\w+)', re.M)
_SIZE = re.compile(r'[ ,](\d{2,5})x(\d{2,5})\b')
_FPS = re.compile(r', ([\d.]+)(k?) (?:fps|tbr)\b')
_OPEN_ERROR = re.compile(r'Error opening input(?: file)?: (.+)$', re.M)


def probe(path: str | os.PathLike[str]) -> MediaInfo:
    """What the video at `path` is: duration, codecs, size, frame rate. Raises NotAVideo (or OSError)."""
    path = Path(path)
    size = path.stat().st_size
    try:
        done = subprocess.run([executable(), '-hide_banner', '-nostdin', '-i', str(path)], stdin=subprocess.DEVNULL,
                              capture_output=True, timeout=PROBE_TIMEOUT_SECONDS, check=False)
    except subprocess.TimeoutExpired:
        raise MediaError(f"ffmpeg took more than {PROBE_TIMEOUT_SECONDS:g} s to read '{path}'") from None
    return parse_probe(done.stderr.decode('utf-8', errors='replace'), str(path), size)


def parse_probe(text: str, path: str, size: int) -> MediaInfo:
    """A MediaInfo from the stderr of `ffmpeg -i FILE` (the first input's first real video stream)."""
    found = _INPUT.search(text)
    if found is None:
        reason = _OPEN_ERROR.findall(text)
        why = reason[-1].strip() if reason else (text.strip().splitlines() or ['no output'])[-1]
        raise NotAVideo(f"'{path}' is not a video (ffmpeg: {why[:1].lower()}{why[1:]})")
    container = found.group(1)
    if any(name in IMAGE_FORMATS for name in container.split(',')):
        raise NotAVideo(f"'{path}' is an image ({container}), not a video")
    videos = [m for m in _VIDEO.finditer(text) if '(attached pic)' not in m.group(2)]
    if not videos:
        raise NotAVideo(f"'{path}' has no video stream" + (' (audio only)' if _AUDIO.search(text) else ''))
    codec, details = videos[0].groups()
    dims = _SIZE.search(details)
    rate = _FPS.search(details)
    duration = _DURATION.search(text)
    audio = _AUDIO.search(text)
    return MediaInfo(
        path=path, size=size, format=container,
        duration=int(duration[1]) * 3600 + int(duration[2]) * 60 + float(duration[3]) if duration else None,
        video_codec=codec, width=int(dims[1]) if dims else None, height=int(dims[2]) if dims else None,
        fps=float(rate[1]) * (1000 if rate[2] else 1) if rate else None, audio_codec=audio[1] if audio else None)


def clock(seconds: float) -> str:
    """'0:42.50', '12:03.00', '1:02:03.00'."""
    minutes, secs = divmod(max(0.0, seconds), 60)
    hours, minutes = divmod(int(minutes), 60)
    return f'{hours}:{minutes:02d}:{secs:05.2f}' if hours else f'{minutes}:{secs:05.2f}'
