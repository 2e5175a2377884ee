"""The ffmpeg layer shared by the media kinds (`video`, and `batch`'s video_transcode).

    info = probe('clip.mov')                                      # MediaInfo; NotAVideo for anything else
    args = transcode_args('clip.mov', 'clip.mp4', codec='h265', crf=26, scale='1280:-2')
    stats = encode(ctx, args, info.duration)                      # live progress, pause/cancel, log

ffmpeg comes from the `imageio-ffmpeg` wheel (`IMAGEIO_FFMPEG_EXE` overrides it); it has no ffprobe, so `probe`
reads what `ffmpeg -i FILE` prints (`probing`). `arguments` builds command lines and holds the checks the params
validators use. `encode` (`running`) writes to a hidden partial file next to the output and renames it only when
ffmpeg succeeds: a cancelled, failed or interrupted encode leaves no half-written file behind and never clobbers
an existing output. A long encode goes in segments: `segments` plans the cuts (pure), `segmented` runs them side
by side, checkpointed, and joins them.
"""

from progress_app.kinds.ffmpeg.arguments import (
    CODECS,
    CONTAINERS,
    PRESETS,
    Audio,
    Codec,
    Position,
    Preset,
    VideoCodec,
    check_crf,
    check_output_suffix,
    check_preset,
    check_scale,
    fit_option,
    output_suffix,
    transcode_args,
    watermark_args,
)
from progress_app.kinds.ffmpeg.probing import MediaError, MediaInfo, NotAVideo, clock, executable, parse_probe, probe
from progress_app.kinds.ffmpeg.running import (
    STATS_PERIOD_SECONDS,
    EncodeFailed,
    EncodeProgress,
    EncodeStats,
    ProgressParser,
    describe_progress,
    encode,
    partial_path,
)

__all__ = [
    'CODECS',
    'CONTAINERS',
    'PRESETS',
    'STATS_PERIOD_SECONDS',
    'Audio',
    'Codec',
    'EncodeFailed',
    'EncodeProgress',
    'EncodeStats',
    'MediaError',
    'MediaInfo',
    'NotAVideo',
    'Position',
    'Preset',
    'ProgressParser',
    'VideoCodec',
    'check_crf',
    'check_output_suffix',
    'check_preset',
    'check_scale',
    'clock',
    'describe_progress',
    'encode',
    'executable',
    'fit_option',
    'output_suffix',
    'parse_probe',
    'partial_path',
    'probe',
    'transcode_args',
    'watermark_args',
]
