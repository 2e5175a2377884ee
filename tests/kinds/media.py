"""Small test media made on the spot with the bundled ffmpeg (lavfi `testsrc`/`sine` sources) and Pillow.

    clip = make_video(tmp_path / 'clip.mp4')                       # 3 s, 160x120, 25 fps, h264 + aac
    long = make_video(tmp_path / 'long.mp4', seconds=20, size='320x240', pattern='testsrc2')
    logo = make_image(tmp_path / 'logo.png')
    frame = frame_at(clip, 1.0)                                    # a PIL image of the frame at 1 s

Each encode takes well under a second; nothing depends on system fonts or files.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

from PIL import Image, ImageChops, ImageStat

from progress_app.kinds.ffmpeg import executable


def run_ffmpeg(*args: str) -> None:
    """Run the bundled ffmpeg quietly; raise with its stderr if it fails."""
    done = subprocess.run([executable(), '-hide_banner', '-nostdin', '-loglevel', 'error', '-y', *args],
                          capture_output=True, text=True, timeout=60, check=False)
    if done.returncode != 0:
        raise RuntimeError(f'ffmpeg {" ".join(args)} failed:\n{done.stderr}')


def make_video(path: Path, seconds: float = 3, size: str = '160x120', rate: int = 25, *, audio: bool = True,
               pattern: str = 'testsrc', codec: str = 'libx264') -> Path:
    """A test pattern video (`pattern`: lavfi's 'testsrc', 'testsrc2' (busier, slower to encode), 'smptebars')
    with a 440 Hz tone unless `audio` is False. The container follows the suffix of `path` ('.mp4', '.mkv')."""
    audio_args = ['-f', 'lavfi', '-i', f'sine=frequency=440:duration={seconds}', '-c:a', 'aac'] if audio else []
    run_ffmpeg('-f', 'lavfi', '-i', f'{pattern}=duration={seconds}:size={size}:rate={rate}', *audio_args,
               '-c:v', codec, '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', '-shortest', str(path))
    return path


def make_audio(path: Path, seconds: float = 2) -> Path:
    """An audio-only file (a 440 Hz tone; '.m4a' for AAC): readable by ffmpeg, but not a video."""
    run_ffmpeg('-f', 'lavfi', '-i', f'sine=frequency=440:duration={seconds}', '-c:a', 'aac', str(path))
    return path


def make_image(path: Path, size: tuple[int, int] = (48, 24), color: tuple[int, int, int, int] = (255, 0, 0, 255)
               ) -> Path:
    """A plain RGBA image (format from the suffix), e.g. an opaque red logo for an image watermark."""
    Image.new('RGBA', size, color).save(path)
    return path


def frame_at(path: Path, seconds: float) -> Image.Image:
    """The video's frame at `seconds`, as an RGB image."""
    out = path.with_name(f'{path.stem}-frame-{seconds:g}.png')
    run_ffmpeg('-ss', str(seconds), '-i', str(path), '-frames:v', '1', str(out))
    with Image.open(out) as image:
        return image.convert('RGB')


def difference(a: Image.Image, b: Image.Image, box: tuple[int, int, int, int]) -> float:
    """Mean absolute difference (0–255) of two images inside `box` (left, top, right, bottom)."""
    return sum(ImageStat.Stat(ImageChops.difference(a.crop(box), b.crop(box))).mean) / 3
