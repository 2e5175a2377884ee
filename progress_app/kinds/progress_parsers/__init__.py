"""Parsers for the progress programs print, one module per family of tools (see `output_progress` for the entry
point the `command` kind and `progress-app run` call).

Each tool parser takes one line (colour codes and backspace redraws already resolved, surrounding space stripped)
and returns a `Reading` or None. `TOOLS` is the order they are tried in, before the generic `N/M` and `NN%`:
specific shapes first, so that rsync's `to-chk=0/3` or git's `(290/604)` is not read as a plain fraction.
"""

from __future__ import annotations

from collections.abc import Callable

from progress_app.kinds.progress_parsers.copies import dd, git, pv, rsync
from progress_app.kinds.progress_parsers.downloads import curl, pip_raw, wget, yt_dlp
from progress_app.kinds.progress_parsers.encoders import encoder_log, handbrake, seven_zip
from progress_app.kinds.progress_parsers.python_bars import alive_bar, rich_bar, tqdm_bar
from progress_app.kinds.progress_parsers.reading import Reading

TOOLS: tuple[Callable[[str], Reading | None], ...] = (
    curl, wget, yt_dlp, pip_raw, rsync, pv, dd, git, seven_zip, handbrake, encoder_log, tqdm_bar, rich_bar, alive_bar)

__all__ = ['TOOLS', 'Reading']
