"""Programs that compress or encode and say how far they are in percent: 7-Zip (`-bsp1`), HandBrakeCLI."""

from __future__ import annotations

import re

from progress_app.kinds.progress_parsers.reading import NUMBER, Reading, percent_reading

# ' 45% 3 + big.bin', ' 12% + src/a.bin' (redrawn with backspaces; `visible()` keeps the last drawing)
_SEVEN_ZIP = re.compile(r'^(\d{1,3})%(?:\s+\d+)?\s+[+=U-]\s+(.+)$')
# 'Encoding: task 1 of 1, 78.20 % (71.34 fps, avg 83.50 fps, ETA 00h00m01s)'
_HANDBRAKE = re.compile(rf'^(Encoding|Scanning title \d+ of \d+)(?::\s*task (\d+) of (\d+))?(?:, preview \d+)?'
                        rf', ({NUMBER}) %(?: \(({NUMBER}) fps)?')


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
    return percent_reading(m[4], label=label, speed=float(m[5]) if m[5] else None, speed_unit='fps',
                           meter=f'handbrake:{label}')
