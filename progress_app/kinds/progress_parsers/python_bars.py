"""Progress bars drawn by Python libraries: tqdm (and enlighten, which draws the same way), rich (and pip, which
draws with rich), alive-progress."""

from __future__ import annotations

import re

from progress_app.kinds.progress_parsers.reading import BYTES, NUMBER, Reading, size

_SCALE = {'': 1, 'k': 1e3, 'M': 1e6, 'G': 1e9, 'T': 1e12, 'P': 1e15}
# ' 42%|████▏     | 42/100 [00:01<00:02, 40.0it/s]'; enlighten: 'Ticks  45%|████  | 18/40 [00:19<00:23, 0.97 ticks/s]'
TQDM = re.compile(rf'(\d{{1,3}})%\|[^|]*\|\s*({NUMBER})([kMGTP]?)/({NUMBER})([kMGTP]?)'
                  r'(?:\s*\[[^\]]*?([A-Za-z]+)/s)?')
_TQDM_RATE = re.compile(rf',\s*({NUMBER})\s?([kMGTP]?)[A-Za-z]*/s\]')
_TQDM_SLOW = re.compile(rf',\s*({NUMBER})s/[A-Za-z]+\]')
# rich's bar and pip's: 'Downloading ━━━━╸━━━━━━ 3.0/30.0 MB 32.9 MB/s 0:00:01', 'Working... ━━━━━━╺━━━  15% 0:00:02'
_RICH = re.compile(r'^(.*?)\s*[━╸╺╾╼]{3,}\s*(.*)$')
_BOX = re.compile('[┏┓┗┛┡┩┣┫╋╇┳┻┃│┠┨┯┷]')
_RICH_BYTES = re.compile(rf'({NUMBER})/({NUMBER})\s?([kMGTP]?i?B|bytes)\b')
_RICH_COUNT = re.compile(r'(?<![\w./])(\d+)/(\d+)(?![\w/])')
_RICH_PERCENT = re.compile(r'(?<![\w.])(\d{1,3}(?:\.\d+)?)%')
_RICH_BYTE_RATE = re.compile(rf'({NUMBER})\s?([kMGTP]?i?B)/s')
_RICH_RATE = re.compile(rf'({NUMBER})\s?it/s')
# alive-progress: 'Processing |█████     | ▃▅▇ 13/40 [32%] in 0s (~1s, eta: 1s)', '... in 1.2s (33.10/s)'
_ALIVE = re.compile(rf'^(.*?)\s*\|[^|]*\|\s*(?:\S+\s+)?(\d+)/(\d+)\s+\[(\d{{1,3}})%\](?:.*?\(({NUMBER})/s)?')


def tqdm_bar(text: str) -> Reading | None:
    m = TQDM.search(text)
    if m is None:
        return None
    current = float(m[2]) * _SCALE[m[3]]
    total = float(m[4]) * _SCALE[m[5]]
    if total <= 0:
        return None
    scaled = bool(m[3] or m[5])
    unit = tqdm_unit(m[6], scaled=scaled)
    speed = None
    if r := _TQDM_RATE.search(text, m.end(5)):
        speed = float(r[1]) * _SCALE[r[2]]
    elif (r := _TQDM_SLOW.search(text, m.end(5))) and float(r[1]) > 0:
        speed = 1 / float(r[1])
    label = tqdm_label(text[:m.start()])
    return Reading(min(current, total), total, unit, label=label or None, speed=speed,
                   speed_unit=BYTES if unit == 'B' else unit, meter=f'tqdm:{label}')


def tqdm_label(before: str) -> str:
    return before.strip().rstrip(':').rstrip()


def tqdm_unit(unit: str | None, *, scaled: bool) -> str | None:
    if scaled and unit and len(unit) > 1 and unit[0] in _SCALE:
        unit = unit[1:]  # '2.34MB/s' with unit_scale: the unit is 'B'
    return unit if unit and unit != 'it' else None


def rich_bar(text: str) -> Reading | None:
    m = _RICH.match(text)
    if m is None or _BOX.search(text):  # a table's border ('┏━━━┳━━━┓') is not a bar
        return None
    label, rest = m[1].strip() or None, m[2]
    meter = f'rich:{label or ""}'
    speed, speed_unit = None, None
    if r := _RICH_BYTE_RATE.search(rest):
        speed, speed_unit = size(r[1], r[2], binary=False), BYTES
    elif r := _RICH_RATE.search(rest):
        speed = float(r[1])
    if b := _RICH_BYTES.search(rest):
        current, total = size(b[1], b[3], binary=False), size(b[2], b[3], binary=False)
        if total > 0:
            return Reading(min(current, total), total, BYTES, label=label, speed=speed, speed_unit=speed_unit,
                           meter=meter)
    if c := _RICH_COUNT.search(rest):
        current, total = float(c[1]), float(c[2])
        if 0 < total and current <= total:
            return Reading(current, total, None, label=label, speed=speed, meter=meter)
    if p := _RICH_PERCENT.search(rest):
        return Reading(min(float(p[1]), 100.0), 100.0, '%', label=label, speed=speed, speed_unit=speed_unit,
                       meter=meter)
    return Reading(None, None, label=label, meter=meter, quiet=label is None)  # a pulse: no total yet


def alive_bar(text: str) -> Reading | None:
    m = _ALIVE.match(text)
    if m is None:
        return None
    current, total = float(m[2]), float(m[3])
    if total <= 0:
        return None
    label = m[1].strip() or None
    return Reading(min(current, total), total, None, label=label, speed=float(m[5]) if m[5] else None,
                   meter=f'alive:{label or ""}')
