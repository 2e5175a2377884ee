"""Tools that copy or move bytes and objects: rsync (`--info=progress2` and `--progress`), pv, dd
(`status=progress`), git (clone, fetch, push, checkout)."""

from __future__ import annotations

import re

from progress_app.kinds.progress_parsers.reading import BYTES, NUMBER, Reading, by_percent, format_percent, size

# '     32,079,872  53%   14.66MB/s    0:00:01  ', '  60,000,000 100%   14.84MB/s    0:00:03 (xfr#2, to-chk=0/3)'
_RSYNC = re.compile(r'^([\d,.]+)([KMGT]?)\s+(\d{1,3})%\s+([\d.,]+)([kMGT]?)B/s\s+(\d+:\d\d:\d\d)'
                    r'(?:\s+\((?:xfr#\d+, )?(?:ir|to)-chk=\d+/\d+\))?$')
# '15.0MiB 0:00:01 [13.8MiB/s] [============>          ] 39% ETA 0:00:01' (pv -f; no size known: no percent)
_PV = re.compile(rf'^({NUMBER})\s?([KMGTPE]?i?B)\s+(\d+:\d\d:\d\d)\s+\[\s*({NUMBER})\s?([KMGTPE]?i?B)/s\s*\]'
                 r'\s*(?:\[[^\]]*\]\s*)?(?:(\d{1,3})%)?')
# '15794176 bytes (16 MB, 15 MiB) copied, 1 s, 15.8 MB/s'
_DD = re.compile(r'^(\d+) bytes(?: \([^)]*\))? copied, [\d.,]+ s, ([\d.,]+) ([kMGTPE]?i?B)/s$')
# 'Receiving objects:  48% (290/604), 5.59 MiB | 10.72 MiB/s', 'remote: Counting objects:  3% (19/604)'
_GIT = re.compile(r'^(?:remote:\s*)?([A-Z][A-Za-z ]*?):\s+(\d{1,3})% \((\d+)/(\d+)\)'
                  rf'(?:,\s*{NUMBER} (?:bytes|[KMGT]iB) \| ({NUMBER}) (bytes|[KMGT]iB)/s)?')
_GIT_UNITS = ('objects', 'deltas', 'files')


def rsync(text: str) -> Reading | None:
    m = _RSYNC.match(text)
    if m is None:
        return None
    current = size(m[1], m[2])
    return Reading(current, by_percent(current, float(m[3])), BYTES, speed=size(m[4], m[5]), speed_unit=BYTES,
                   meter='rsync')


def pv(text: str) -> Reading | None:
    m = _PV.match(text)
    if m is None:
        return None
    current = size(m[1], m[2])
    return Reading(current, by_percent(current, float(m[6])) if m[6] else None, BYTES, speed=size(m[4], m[5]),
                   speed_unit=BYTES, meter='pv')


def dd(text: str) -> Reading | None:
    m = _DD.match(text)
    if m is None:
        return None
    return Reading(float(m[1]), None, BYTES, speed=size(m[2], m[3], binary=False), speed_unit=BYTES, meter='dd')


def git(text: str) -> Reading | None:
    m = _GIT.match(text)
    if m is None or int(m[4]) <= 0:
        return None
    label = m[1].strip()
    if text.startswith('remote:'):  # the server's phases come before the download: they must not fill the bar
        return Reading(None, None, message=f'{label} · {format_percent(int(m[3]) / int(m[4]) * 100)}', label=label,
                       meter=f'git:{label}')
    last = label.rsplit(' ', 1)[-1].lower()
    speed = size(m[5], '' if m[6] == 'bytes' else m[6]) if m[5] else None
    return Reading(min(float(m[3]), float(m[4])), float(m[4]), last if last in _GIT_UNITS else None, label=label,
                   speed=speed, speed_unit=BYTES if speed is not None else None, meter=f'git:{label}')
