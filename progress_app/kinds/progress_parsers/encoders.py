"""Programs that compress or encode and say how far they are in percent: 7-Zip (`-bsp1`), HandBrakeCLI."""

from __future__ import annotations

import re

from progress_app.kinds.progress_parsers.reading import NUMBER, Reading, format_percent, percent_reading

# ' 45% 3 + big.bin', ' 12% + src/a.bin' (redrawn with backspaces; `visible()` keeps the last drawing)
_SEVEN_ZIP = re.compile(r'^(\d{1,3})%(?:\s+\d+)?\s+[+=U-]\s+(.+)$')
# 'Encoding: task 1 of 1, 78.20 % (71.34 fps, avg 83.50 fps, ETA 00h00m01s)'
_HANDBRAKE = re.compile(rf'^(Encoding|Scanning title \d+ of \d+)(?::\s*task (\d+) of (\d+))?(?:, preview \d+)?'
                        rf', ({NUMBER}) %(?: \(({NUMBER}) fps)?')

# HandBrake's log ('[19:24:12] scan: ...'), its scan summary ('+ size: 640x480, pixel aspect: 1/1') and x264's
# statistics ('x264 [info]: mb I  I16..4: 61.0% 24.9% 14.1%'): ratios and percentages that are not progress
_ENCODER_LOG = re.compile(r'^(?:\[\d\d:\d\d:\d\d\] |x26[45] \[\w+\]: |\+ (?:size|title|duration|autocrop|support)\b)')


def encoder_log(text: str) -> Reading | None:
    return Reading(None, None) if _ENCODER_LOG.match(text) else None


def seven_zip(text: str) -> Reading | None:
    m = _SEVEN_ZIP.match(text)
    if m is None or int(m[1]) > 100:
        return None
    return percent_reading(m[1], label=m[2].strip(), meter='7z')


def handbrake(text: str) -> Reading | None:
    m = _HANDBRAKE.match(text)
    if m is None:
        return None
    label = m[1] if not m[3] or m[3] == '1' else f'{m[1]} (task {m[2]} of {m[3]})'
    if label.startswith('Scanning'):  # before the encode: it must not fill the bar
        return Reading(None, None, message=f'{label} · {format_percent(float(m[4]))}', label=label,
                       meter='handbrake:scan')
    return percent_reading(m[4], label=label, speed=float(m[5]) if m[5] else None, speed_unit='fps',
                           meter=f'handbrake:{label}')
