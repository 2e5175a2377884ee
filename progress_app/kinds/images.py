"""Image work for the `batch` kind with Pillow: resize and text watermark, one file in, one file out.

Photos are turned upright from their EXIF orientation first (phones store them sideways plus a tag), and their
EXIF and colour profile are kept. Text is drawn with Pillow's built-in font, so no system font is needed.

Pillow is imported by the functions that use it, not with this module: the `batch` kind imports this module
when the app starts, and Pillow would add ~20 ms to every start, for jobs that may never touch an image.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal

from progress_app.kinds.titles import Titles

if TYPE_CHECKING:
    from PIL import Image

OutputFormat = Annotated[Literal['same', 'jpeg', 'png', 'webp'],
                         Titles({'same': 'Same as the input', 'jpeg': 'JPEG', 'png': 'PNG', 'webp': 'WebP'})]
Position = Annotated[Literal['top-left', 'top-right', 'bottom-left', 'bottom-right', 'center'],
                     Titles({'top-left': 'Top left', 'top-right': 'Top right', 'bottom-left': 'Bottom left',
                             'bottom-right': 'Bottom right', 'center': 'Centre'})]
SUFFIXES = {'jpeg': '.jpg', 'png': '.png', 'webp': '.webp'}
# Formats Pillow reads under another name than the one it writes them with (MPO: a phone's multi-picture JPEG).
WRITE_AS = {'MPO': 'JPEG'}
ALPHA_MODES = ('RGBA', 'LA', 'PA', 'RGBa', 'La')
AUTO_FONT_SHARE = 0.05
"""Without a font size, the text is this share of the image's shorter side high."""
MIN_FONT = 10


def output_suffix(source: Path, fmt: OutputFormat) -> str:
    """The suffix of the output file: the input's own for 'same', else the format's ('.jpg', '.png', '.webp')."""
    return source.suffix if fmt == 'same' else SUFFIXES[fmt]


def target_size(size: tuple[int, int], width: int | None, height: int | None, *, keep_aspect: bool = True,
                enlarge: bool = False) -> tuple[int, int]:
    """The new size: exactly `width`×`height`, or with `keep_aspect` the largest size that fits both given
    limits (a missing one does not limit). Without `enlarge`, a smaller image keeps its size."""
    w, h = size
    if not keep_aspect:
        if width is None or height is None:
            raise ValueError('resizing without keeping the aspect ratio needs both width and height')
        return width, height
    scales = [limit / side for limit, side in ((width, w), (height, h)) if limit is not None]
    if not scales:
        raise ValueError('give a width, a height or both')
    scale = min(scales)
    if scale >= 1 and not enlarge:
        return w, h
    return max(1, round(w * scale)), max(1, round(h * scale))


def resize(source: Path, target: Path, *, width: int | None, height: int | None, keep_aspect: bool = True,
           enlarge: bool = False, fmt: OutputFormat = 'same', quality: int = 90) -> tuple[int, int]:
    """Write `source` resized to `target`; returns the new size."""
    from PIL import Image

    with _open(source) as image:
        size = target_size(image.size, width, height, keep_aspect=keep_aspect, enlarge=enlarge)
        resized = image if size == image.size else image.resize(size, Image.Resampling.LANCZOS, reducing_gap=3.0)
        _save(resized, target, _write_format(image, fmt), quality, image.info)
        return size


def watermark(source: Path, target: Path, *, text: str, position: Position = 'bottom-right', opacity: float = 0.5,
              font_size: int | None = None, fmt: OutputFormat = 'same', quality: int = 90) -> tuple[int, int]:
    """Write `source` with `text` drawn on it (white with a dark outline, readable on any background)."""
    from PIL import Image, ImageDraw, ImageFont

    with _open(source) as image:
        size = font_size or max(MIN_FONT, round(min(image.size) * AUTO_FONT_SHARE))
        font = ImageFont.load_default(size=size)
        layer = Image.new('RGBA', image.size, (0, 0, 0, 0))
        draw = ImageDraw.Draw(layer)
        stroke = max(1, size // 15)
        left, top, right, bottom = draw.textbbox((0, 0), text, font=font, stroke_width=stroke)
        margin = max(4, size // 2)
        x = _place(position, image.width, right - left, margin, horizontal=True) - left
        y = _place(position, image.height, bottom - top, margin, horizontal=False) - top
        alpha = round(255 * opacity)
        draw.text((x, y), text, font=font, fill=(255, 255, 255, alpha), stroke_width=stroke,
                  stroke_fill=(0, 0, 0, alpha))
        has_alpha = image.mode in ALPHA_MODES or 'transparency' in image.info
        marked = Image.alpha_composite(image.convert('RGBA'), layer)
        _save(marked if has_alpha else marked.convert('RGB'), target, _write_format(image, fmt), quality,
              image.info)
        return image.size


def _place(position: Position, room: int, extent: int, margin: int, *, horizontal: bool) -> int:
    start, end = ('left', 'right') if horizontal else ('top', 'bottom')
    if start in position:
        return margin
    if end in position:
        return room - extent - margin
    return (room - extent) // 2


@contextmanager
def _open(source: Path) -> Iterator[Image.Image]:
    """The image read fully (a truncated or corrupt file fails here, before any output is written) and upright."""
    from PIL import Image, ImageOps

    with Image.open(source) as file:
        file.load()
        upright = ImageOps.exif_transpose(file)
        upright.format = file.format
        yield upright


def _write_format(image: Image.Image, fmt: OutputFormat) -> str:
    from PIL import Image

    if fmt != 'same':
        return fmt.upper()
    read_as = image.format or 'PNG'
    name = WRITE_AS.get(read_as, read_as)
    if name not in Image.SAVE:
        raise ValueError(f"Pillow cannot write {read_as} images; choose an output format (jpeg, png or webp)")
    return name


def _save(image: Image.Image, target: Path, pil_format: str, quality: int, info: dict[str, Any]) -> None:
    image = _convert_for(image, pil_format)
    options: dict[str, Any] = {}
    if pil_format in ('JPEG', 'WEBP'):
        options['quality'] = quality
    if pil_format in ('JPEG', 'WEBP', 'PNG', 'TIFF'):
        for key in ('icc_profile', 'exif'):
            if info.get(key):
                options[key] = info[key]
    image.save(target, format=pil_format, **options)


def _convert_for(image: Image.Image, pil_format: str) -> Image.Image:
    """The image in a mode the format can store: JPEG has no transparency (flattened onto white)."""
    from PIL import Image

    if pil_format == 'JPEG' and image.mode not in ('RGB', 'L', 'CMYK'):
        if image.mode in ALPHA_MODES or 'transparency' in image.info:
            rgba = image.convert('RGBA')
            flat = Image.new('RGB', rgba.size, (255, 255, 255))
            flat.paste(rgba, mask=rgba.getchannel('A'))
            return flat
        return image.convert('RGB')
    if pil_format == 'WEBP' and image.mode not in ('RGB', 'RGBA'):
        return image.convert('RGBA' if image.mode in ALPHA_MODES or 'transparency' in image.info else 'RGB')
    if pil_format == 'PNG' and image.mode == 'CMYK':
        return image.convert('RGB')
    return image
