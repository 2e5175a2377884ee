"""The one duration formatter (UI, notifications, job messages)."""

from __future__ import annotations

import pytest

from progress_app.domain.duration import duration
from progress_app.ui import format as fmt


@pytest.mark.parametrize(('seconds', 'text'), [
    (None, '—'), (0.25, '250 ms'), (1, '1 s'), (45.4, '45 s'), (59.6, '1 min'), (60, '1 min'), (125, '2 min 5 s'),
    (192, '3 min 12 s'), (3600, '1 h'), (3661, '1 h 1 min'), (7500, '2 h 5 min'), (86400, '1 d'),
    (86400 * 3 + 3600 * 4, '3 d 4 h'), (-5, '0 ms'), (float('inf'), '—'), (float('nan'), '—'),
])
def test_duration(seconds, text):
    assert duration(seconds) == text


def test_an_unknown_duration_can_be_named():
    assert duration(None, unknown='unknown') == 'unknown'
    assert duration(3, unknown='unknown') == '3 s'


def test_the_ui_formats_durations_with_it():
    assert fmt.duration is duration
