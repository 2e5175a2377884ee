"""The submission limits, in one module, and the service's own checks of them."""

from __future__ import annotations

import pytest

from progress_app.domain.limits import NAME_MAX, PRIORITY_HIGHEST, PRIORITY_LOWEST, name_fits, priority_fits


@pytest.mark.parametrize(('name', 'fits'), [('a', True), ('x' * NAME_MAX, True), ('x' * (NAME_MAX + 1), False),
                                            ('', False), ('   ', False)])
def test_a_name_is_1_to_name_max_characters(name, fits):
    assert name_fits(name) is fits


@pytest.mark.parametrize(('priority', 'fits'), [
    (0, True), (PRIORITY_LOWEST, True), (PRIORITY_HIGHEST, True), (PRIORITY_HIGHEST + 1, False),
    (PRIORITY_LOWEST - 1, False), (1.0, False), ('5', False), (True, False), (None, False)])
def test_a_priority_is_a_whole_number_in_range(priority, fits):
    assert priority_fits(priority) is fits
