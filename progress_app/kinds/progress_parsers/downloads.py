"""Downloaders: curl (its default meter and `-#`), wget (`--progress=bar` and `dot`), yt-dlp, pip's raw
progress (`--progress-bar raw`; pip's default bar is rich's, see python_bars.py)."""

from __future__ import annotations

import re

from progress_app.kinds.progress_parsers.reading import BYTES, NUMBER, Reading, by_percent, percent_reading, rate, size

_S = rf'({NUMBER})([kMGTP]?)'
# '  % Total    % Received % Xferd  Average Speed   Time    Time     Time  Current'
# ' 47 28.6M   47 13.6M    0     0   9.9M      0  0:00:02  0:00:01  0:00:01  9.9M'
_CURL_METER = re.compile(rf'^(\d{{1,3}})\s+{_S}\s+(\d{{1,3}})\s+{_S}\s+(\d{{1,3}})\s+{_S}\s+{_S}\s+{_S}\s+\S.*\s{_S}$')
_CURL_HEADINGS = re.compile(r'^(?:% Total\s+% Received\s+% Xferd|Dload\s+Upload\s+Total)')
_CURL_BAR = re.compile(r'^#*\s*(\d{1,3}\.\d)%$')
_CURL_PULSE = re.compile(r'^(?=.*#)(?=.*[=O-])[#=O\- ]{3,80}$')  # `-#` without a known size: '##O=#  #'
# '/dev/null   42%[=======>     ]  12.19M  10.0MB/s    eta 2s', 'big.bin   [  <=>  ]   2.03M  10.0MB/s'
_WGET_BAR = re.compile(r'^(.*?)\s*(?:(\d{1,3})%)?\[[=> <]*\]\s+([\d.,]+)([KMGT]?)\s+(--\.-|[\d.,]+)([KMG]?)B/s')
# '  1250K .......... .......... .......... .......... ..........  4%  636M 0s', '... 100%  835M=2.7s'
_WGET_DOT = re.compile(r'^(\d+)K ([., ]+?)\s*(\d{1,3})%\s+([\d.,]+)([KMG]?)(?:\s|=|$)')
# '[download]  45.3% of ~ 10.00MiB at  1.23MiB/s ETA 00:05', '[download] 100% of 10.00MiB in 00:00:04 at 2.27MiB/s'
_YT_DLP = re.compile(rf'^\[download\]\s+({NUMBER})% of\s+~?\s*({NUMBER})([KMGT]?i?B)'
                     rf'(?:.*?\sat\s+({NUMBER})([KMGT]?i?B)/s)?')
_YT_DLP_UNSIZED = re.compile(rf'^\[download\]\s+({NUMBER})([KMGT]?i?B) at\s+({NUMBER})([KMGT]?i?B)/s')
_PIP_RAW = re.compile(r'^Progress (\d+) of (\d+)$')


def curl(text: str) -> Reading | None:
    if m := _CURL_METER.match(text):
        total = size(m[2], m[3])
        received, sent = size(m[5], m[6]), size(m[8], m[9])
        current = sent if sent > received else received
        return Reading(current, total if total > 0 else None, BYTES, speed=size(m[14], m[15]), speed_unit=BYTES,
                       meter='curl')
    if _CURL_HEADINGS.match(text):  # printed once: logged as it is, but not a status
        return Reading(None, None, quiet=True)
    if _CURL_PULSE.match(text):
        return Reading(None, None, meter='curl', quiet=True)
    if m := _CURL_BAR.match(text):
        return percent_reading(m[1], meter='curl')
    return None


def wget(text: str) -> Reading | None:
    if m := _WGET_BAR.match(text):
        current, percent = size(m[3], m[4]), float(m[2]) if m[2] else None
        # no label: wget scrolls a long file name through its field, a different slice of it each redraw
        return Reading(current, by_percent(current, percent), BYTES, speed=rate(m[5], m[6]), speed_unit=BYTES,
                       meter='wget')
    if m := _WGET_DOT.match(text):
        current = (int(m[1]) + m[2].count('.')) * 1024.0
        return Reading(current, by_percent(current, float(m[3])), BYTES, speed=rate(m[4], m[5]), speed_unit=BYTES,
                       meter='wget')
    return None


def yt_dlp(text: str) -> Reading | None:
    if m := _YT_DLP.match(text):
        total = size(m[2], m[3])
        current = total * min(float(m[1]), 100.0) / 100.0
        speed = size(m[4], m[5]) if m[4] else None
        return Reading(current, total if total > 0 else None, BYTES, speed=speed, speed_unit=BYTES, meter='yt-dlp')
    if m := _YT_DLP_UNSIZED.match(text):
        return Reading(size(m[1], m[2]), None, BYTES, speed=size(m[3], m[4]), speed_unit=BYTES, meter='yt-dlp')
    return None


def pip_raw(text: str) -> Reading | None:
    if (m := _PIP_RAW.match(text)) and int(m[2]) > 0:
        return Reading(min(float(m[1]), float(m[2])), float(m[2]), BYTES, meter='pip')
    return None
