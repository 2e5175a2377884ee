"""Report a script's progress into Progress App from anywhere (issue 14): standard library and tqdm only, so a
script pays ~nothing to import it and never waits for the app.

    from progress_app.client import tqdm, trange   # a drop-in tqdm: each top-level bar is a job in the app
    from progress_app.client import track, Run    # without tqdm: a loop, or a run with stages and checkpoints

The app's address: PROGRESS_APP_URL (default http://127.0.0.1:8080) and PROGRESS_APP_TOKEN, or `url=`, `token=`.
A pause in the app blocks the script at its next update; a cancel raises `Cancelled` (a KeyboardInterrupt) there.
If the app cannot be reached the script runs on (one line on stderr) and its progress is sent when it is back.

    channel.py    a run as this process sees it: its start, its control, Cancelled
    outbox.py     what a run still has to tell the app (latest-wins progress, capped log, checkpoint, done)
    sender.py     the one background thread per process that sends
    transport.py  HTTP to the app
    run.py        Run and track;  bar.py  tqdm and trange
"""

from __future__ import annotations

from progress_app.client.bar import tqdm, trange
from progress_app.client.channel import Cancelled
from progress_app.client.run import Run, track

__all__ = ['Cancelled', 'Run', 'tqdm', 'track', 'trange']
