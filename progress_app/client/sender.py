"""The one background thread per process that talks to the app for every run of the script.

It reads each run's numbers (latest wins) and sends what changed at most `1 / TICK_SECONDS` times a second;
idle, it long-polls (`?wait=`) so a pause or cancel from the app arrives at once and the lease stays renewed.
When the app cannot be reached, it says so once on stderr, keeps everything in the runs' outboxes and catches up
when the app is back (starting the run then, if its start never got through). At exit it flushes for a short,
bounded time.
"""

from __future__ import annotations

import atexit
import math
import os
import sys
import threading
import time
from collections.abc import Callable
from typing import Any

from progress_app.client.channel import CANCEL, Channel
from progress_app.client.outbox import Batch
from progress_app.client.transport import Answer, Unreachable, detail

TICK_SECONDS = 0.25
IDLE_POLL_AFTER_SECONDS = 1.0
"""With nothing new to tell for this long, the sender long-polls (renewing the lease, hearing pause/cancel)."""
POLL_WAIT_SECONDS = 10
RETRY_SECONDS = 1.0
"""How soon an unreachable app is tried again."""
EARLY_END_GRACE_SECONDS = 0.5
"""A loop left early is settled this long after: by then an exception that ended it has reached sys.excepthook."""
EXIT_FLUSH_SECONDS = 5.0
EXIT_FLUSH_DOWN_SECONDS = 2.0
"""At exit, how long the last reports may take (while the app answers / when it cannot be reached)."""


class Sender(threading.Thread):
    def __init__(self) -> None:
        super().__init__(name='progress-app-sender', daemon=True)
        self._channels: list[Channel] = []
        self._lock = threading.Lock()
        self._wakeup = threading.Event()
        self._retry_at: dict[str, float] = {}  # app URL → when to try it again
        self._said_down = False
        self.down = False
        self.uncaught: BaseException | None = None
        """The exception the script dies of (seen by sys.excepthook)."""
        self.pid = os.getpid()

    def open(self, start: dict[str, Any], source: Callable[[], dict[str, Any]], url: str | None = None,
             token: str | None = None) -> Channel:
        channel = Channel(start, source, self.wake, url, token)
        with self._lock:
            self._channels.append(channel)
        self.wake()
        return channel

    def wake(self) -> None:
        self._wakeup.set()

    def run(self) -> None:
        while True:
            self._wakeup.wait(TICK_SECONDS)
            self._wakeup.clear()
            with self._lock:
                channels = list(self._channels)
            for channel in channels:
                self._serve(channel)
                if channel.ended:
                    channel.link.close()
                    channel.poll.close()
                    with self._lock:
                        self._channels.remove(channel)

    def flush(self) -> None:
        """At exit: end the runs the script left open, and give the last reports a short, bounded time."""
        start = time.monotonic()
        with self._lock:
            channels = list(self._channels)
        for channel in channels:
            if channel.ended_early_at is not None:
                channel.decide(self.uncaught)
            else:
                channel.end(self.uncaught)
        while any(not c.ended for c in channels):
            elapsed = time.monotonic() - start
            if elapsed > EXIT_FLUSH_SECONDS or (self.down and elapsed > EXIT_FLUSH_DOWN_SECONDS):
                return
            self.wake()
            time.sleep(0.02)

    def _serve(self, channel: Channel) -> None:
        now = time.monotonic()
        if now < self._retry_at.get(channel.url, 0.0):
            return
        try:
            if channel.job is None and not self._start(channel):
                return
            self._report(channel, now)
        except Unreachable as exc:
            self._unreachable(channel, str(exc))
        except Exception as exc:  # the one boundary: whatever goes wrong here, the script runs on unreported
            _say(f'cannot report the run any more ({type(exc).__name__}: {exc}); the script goes on without it')
            channel.ended = True

    def _start(self, channel: Channel) -> bool:
        try:
            answer = channel.link.call('/api/runs', channel.start)
            self.down = False
            if answer.status in (200, 201) and isinstance(answer.data, dict):
                channel.job = answer.data
                channel.outbox.forget_progress()
                return True
            self._refused(channel, answer, 'start the run')
            return False
        finally:  # answered or not: a Run waiting for its resume_state reads the job (or None) after this
            channel.tried.set()

    def _report(self, channel: Channel, now: float) -> None:
        if channel.ended_early_at is not None and now - channel.ended_early_at >= EARLY_END_GRACE_SECONDS:
            channel.decide(self.uncaught)
        path = f'/api/jobs/{channel.job_id}/report'
        if channel.poll.waiting:
            if channel.poll.ready():
                self._answered(channel, channel.poll.receive(), None)
            elif now - channel.poll_since > POLL_WAIT_SECONDS + 5:  # the app holds it far too long: ask anew
                channel.poll.close()
        if channel.ended:
            return
        progress = {k: v for k, v in channel.source().items() if not isinstance(v, float) or math.isfinite(v)}
        batch = channel.outbox.take(progress)  # (JSON has no inf: tqdm(total=float('inf')) reports no total)
        if batch is None:
            if not channel.poll.waiting and now - channel.last_report >= IDLE_POLL_AFTER_SECONDS:
                # The app holds a long-poll until its control changes from what it is when the poll arrives: a
                # change since our last answer would wait out the poll. A plain heartbeat first says what it is now.
                self._answered(channel, channel.link.call(path, {}), None)
                channel.last_report = now
                if not channel.ended:
                    channel.poll.send(f'{path}?wait={POLL_WAIT_SECONDS}', {})
                    channel.poll_since = now
            return
        if not (batch.paused or batch.done) and now - channel.last_report < TICK_SECONDS:
            return
        answer = channel.link.call(path, [batch.update])
        channel.last_report = time.monotonic()
        self._answered(channel, answer, batch)

    def _answered(self, channel: Channel, answer: Answer, batch: Batch | None) -> None:
        self.down = False
        if answer.status == 200 and isinstance(answer.data, dict):
            if batch is not None:
                channel.outbox.sent(batch)
            channel.set_control(answer.data.get('control', 'run'))
            channel.ended = channel.outbox.delivered
        elif answer.status == 404:  # the job was removed in the app: as good as cancelled
            channel.set_control(CANCEL)
            channel.ended = channel.outbox.done is not None
        elif answer.status == 409 and batch is not None and batch.done:  # our done had arrived, its answer not
            channel.ended = True
        elif answer.status == 422 and batch is not None:  # a bad update must not block the ones after it
            _say(f'the app refused an update of job {channel.job_id}: {detail(answer)}')
            channel.outbox.sent(batch)
            channel.ended = channel.outbox.delivered
        else:
            self._refused(channel, answer, f'report into job {channel.job_id}')

    def _refused(self, channel: Channel, answer: Answer, what: str) -> None:
        _say(f'the app at {channel.url} would not let the script {what} ({detail(answer)}); '
             'the script goes on without reporting it')
        channel.ended = True

    def _unreachable(self, channel: Channel, reason: str) -> None:
        self.down = True
        self._retry_at[channel.url] = time.monotonic() + RETRY_SECONDS
        channel.poll.close()
        if not self._said_down:
            self._said_down = True
            _say(f'the app at {channel.url} cannot be reached ({reason}); the script goes on, and its progress '
                 'is sent when the app is back')


def _say(text: str) -> None:
    from tqdm import tqdm  # its write() puts the line above the bars being drawn, not glued to one

    tqdm.write(f'progress-app: {text}', file=sys.stderr)


_sender: Sender | None = None
_sender_lock = threading.Lock()


def sender() -> Sender:
    """This process's sender, started on first use (anew in a forked child)."""
    global _sender
    with _sender_lock:
        if _sender is None or _sender.pid != os.getpid():
            _sender = Sender()
            _sender.start()
            atexit.register(_sender.flush)
            _watch_uncaught(_sender)
        return _sender


def _watch_uncaught(target: Sender) -> None:
    previous = sys.excepthook

    def excepthook(kind: type[BaseException], value: BaseException, tb: Any) -> None:
        target.uncaught = value
        previous(kind, value, tb)

    sys.excepthook = excepthook
