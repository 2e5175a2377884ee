"""Apprise notifications when a job ends: to the URLs in the preferences (ntfy, email, Slack, Telegram, …).

Which endings notify is a preference (`notify_on`); a job's own `notify` option wins over it (True: always,
False: never). Delivery happens in the scheduler's pool, never in the job's thread or under its lock, and a
failing delivery never touches the job: it is logged and kept as the last notification error.
"""

from __future__ import annotations

import contextlib
import io
import logging
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from progress_app.domain.duration import duration
from progress_app.domain.status import Status
from progress_app.errors import InvalidParams, NotFound, ProgressAppError
from progress_app.runtime.engine.job import Job
from progress_app.runtime.settings.preferences import NotifyOn, Preferences

if TYPE_CHECKING:
    from apscheduler.schedulers.base import BaseScheduler

    from progress_app.store.repository import Repository

log = logging.getLogger(__name__)
LAST_ERROR = 'notify_last_error'  # key in the settings table: {'at', 'message', 'job_id'}
ENDINGS = {Status.COMPLETED: 'completed', Status.FAILED: 'failed'}
TYPES = {'completed': 'success', 'failed': 'failure'}  # Apprise's notify types
# Apprise reports why a URL or a delivery failed only through its logger; capturing that is global, so calls
# take turns.
_capture_lock = threading.Lock()


class NotificationFailed(ProgressAppError):
    """No notification could be delivered; the message says why (as Apprise reported it)."""


def clean_urls(urls: Iterable[str], field: str = 'notify_urls') -> list[str]:
    """The URLs without blanks and repeats; raises InvalidParams at `field` naming each one Apprise does not
    accept."""
    cleaned = list(dict.fromkeys(url.strip() for url in urls if url.strip()))
    problems = []
    for i, url in enumerate(cleaned):
        with _apprise_says() as output:
            accepted = _apprise().add(url)
        if not accepted:
            reason = refusal(output.getvalue())
            problems.append(InvalidParams.problem([field, i], f"'{url}' is not a valid Apprise URL"
                                                  + (f' ({reason})' if reason else '')))
    if problems:
        raise InvalidParams(problems)
    return cleaned


def refusal(said: str) -> str:
    """Why Apprise refused a URL: its complaints naming the part ('Invalid From email specified: bad'), rather
    than only its closing 'Could not load E-Mail URL: …'."""
    lines = [line.strip().replace('~', '') for line in said.splitlines() if line.strip()]
    specific = [line.rstrip(': ') for line in lines if not line.startswith('Could not load')]
    return '; '.join(specific or lines[-1:])


def send(urls: Sequence[str], title: str, body: str, notify_type: str = 'info') -> None:
    """Deliver to every URL; raises NotificationFailed if any of them failed. The body is plain text: its line
    breaks and anything that looks like markup ('<module>', '&') arrive as written, e-mails included."""
    if not urls:
        raise NotificationFailed('no notification URLs are set')
    notifier = _apprise()
    for url in urls:
        notifier.add(url)
    with _apprise_says() as output:
        delivered = notifier.notify(title=title, body=body, notify_type=notify_type, body_format='text')
    if not delivered:
        raise NotificationFailed(' '.join(output.getvalue().split()) or 'the notification was not delivered')


def _apprise() -> Any:
    """Apprise is imported when first needed: importing it and loading its plugins take a second or more."""
    import apprise

    return apprise.Apprise()


@contextlib.contextmanager
def _apprise_says() -> Iterator[io.StringIO]:
    """Apprise's warnings and errors, kept out of the app's log: we report them ourselves, with their context."""
    import apprise

    logger = logging.getLogger('apprise')
    with _capture_lock, apprise.LogCapture(level=logging.WARNING, fmt='%(message)s') as output:
        propagate, logger.propagate = logger.propagate, False
        try:
            yield output
        finally:
            logger.propagate = propagate


def destinations(fields: Mapping[str, Any]) -> dict[str, Any]:
    """`{'notify_to': urls}` for a submission that names where its own notifications go (Apprise URLs, checked:
    InvalidParams at `notify_to`), else {}."""
    urls = fields.get('notify_to')
    return {'notify_to': clean_urls(urls, field='notify_to')} if urls else {}


def wanted(job: Job, ending: str, notify_on: NotifyOn) -> bool:
    """Whether the job's ending is to be told: its own `notify` option first (a job that names where its
    notifications go wants them), then the preference."""
    choice = job.options.get('notify')
    if choice is not None:
        return bool(choice)
    return bool(job.options.get('notify_to')) or notify_on in (ending, 'both')


def message(job: Job, ending: str, elapsed: float | None) -> tuple[str, str]:
    """Title and body of the notification for a job that ended so (completed or failed)."""
    lines = [f'Job #{job.id} ({job.kind}) {ending}.', f"Duration: {duration(elapsed, unknown='unknown')}"]
    if ending == 'failed':
        stage = f' (in stage {job.error_stage})' if job.error_stage else ''
        lines.append(f'Error{stage}: {job.error or "unknown"}')
    return f'{job.name} (#{job.id}) {ending}', '\n'.join(lines)


class Notifier:
    """Sends a job's ending (in `scheduler`'s pool) as `preferences()` say; `job` looks a job up (raises
    NotFound); the last delivery error is kept in the settings table of `repo`."""

    def __init__(self, scheduler: BaseScheduler, repo: Repository, *, preferences: Callable[[], Preferences],
                 job: Callable[[int], Job]) -> None:
        self._scheduler, self._repo = scheduler, repo
        self._preferences, self._job = preferences, job

    def on_move(self, job: Job) -> None:
        """Called on every status change, maybe under the job's lock: an ending is sent later, in the pool."""
        ending = ENDINGS.get(job.status)
        # Without URLs nothing can be sent: no hand-off to the pool at every job's end.
        if ending is not None and self._reachable(job):
            # the ending is passed along: by the time it is sent the job may have been retried
            self._scheduler.add_job(self.job_ended, args=[job.id, ending], misfire_grace_time=None)

    def job_ended(self, job_id: int, ending: str) -> None:
        try:
            job = self._job(job_id)
        except NotFound:
            return
        urls = self._targets(job, ending)
        if urls:
            title, body = message(job, ending, job.snapshot()['elapsed_seconds'])
            self._deliver(job_id, urls, title, body, TYPES[ending])

    def job_stalled(self, job: Job, seconds: float) -> None:
        """Tell that a job stalled (later, in the pool), if it notifies: its own `notify`, else as its failure
        would be told."""
        if self._reachable(job):
            self._scheduler.add_job(self._tell_stalled, args=[job.id, seconds], misfire_grace_time=None)

    def _tell_stalled(self, job_id: int, seconds: float) -> None:
        with contextlib.suppress(NotFound):
            job = self._job(job_id)
            urls = self._targets(job, 'failed')
            if urls:
                body = f'Job #{job.id} ({job.kind}) has made no progress for {duration(seconds)}.'
                self._deliver(job_id, urls, f'{job.name} (#{job.id}) stalled', body, 'warning')

    def job_overdue(self, job: Job, title: str, body: str) -> None:
        """Tell now (call it in the pool) that a job takes longer than usual, if it notifies as its failure would."""
        urls = self._targets(job, 'failed')
        if urls:
            self._deliver(job.id, urls, title, body, 'warning')

    def _reachable(self, job: Job) -> bool:
        return bool(job.options.get('notify_to') or self._preferences().notify_urls)

    def _targets(self, job: Job, ending: str) -> list[str]:
        """Where the job's news goes if it is to be told so: its own `notify_to`, else the saved URLs."""
        prefs = self._preferences()
        urls = job.options.get('notify_to') or prefs.notify_urls
        return list(urls) if urls and wanted(job, ending, prefs.notify_on) else []

    def _deliver(self, job_id: int, urls: Sequence[str], title: str, body: str, notify_type: str) -> None:
        try:
            send(urls, title, body, notify_type)
        except Exception as exc:  # a notification never fails the job, whatever went wrong
            log.warning('notification for job %s failed: %s', job_id, exc)
            self._repo.put_setting(LAST_ERROR, {'at': time.time(), 'message': str(exc), 'job_id': job_id})

    def last_error(self) -> dict[str, Any] | None:
        return self._repo.get_settings().get(LAST_ERROR)
