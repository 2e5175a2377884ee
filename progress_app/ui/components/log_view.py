"""A live tail of a job's log: follows new lines, can hold still (the new lines wait), and downloads.

The page says when to look for new lines (`poll_soon`: as the job moves, and on the shared clock); the view reads
at most every POLL_SECONDS and never twice at once."""

from __future__ import annotations

import time
from collections.abc import Callable

from nicegui import background_tasks, run, ui

from progress_app.errors import NotFound
from progress_app.runtime.service import JobService
from progress_app.ui import format as fmt

MAX_LINES = 2000
POLL_SECONDS = 0.5
TAIL_BYTES = 128 * 1024  # a page opens this far before the end of a long log, as `tail -f` does


class LogView:
    def __init__(self, service: JobService, job_id: int, on_gone: Callable[[], None] = lambda: None) -> None:
        self.service = service
        self.job_id = job_id
        self.on_gone = on_gone  # called once when the job turns out to have been removed
        self.offset: int | None = None  # None: not read yet, start at the tail
        self.waiting: list[str] = []
        with ui.row().classes('w-full items-center gap-2'):
            ui.label('Log').classes('text-lg font-medium')
            ui.space()
            self.held = ui.label().classes('text-xs muted')
            self.follow = ui.switch('Follow', value=True, on_change=lambda _: self._release()).props('dense')
            ui.button(icon='download', on_click=self._download).props('flat round dense').tooltip('Download the log')
        self.log = ui.log(max_lines=MAX_LINES).classes('w-full h-80 mono text-xs')
        # A job that has not written a line has no log file yet (its start and end are in its history).
        self.empty = ui.label('The job has written no log lines so far.').classes('text-xs muted')
        self.reading = False
        self.read_at = 0.0
        self.gone = False
        self.poll_soon()

    def poll_soon(self) -> None:
        """Look for new lines, unless a read is under way or the last one was less than POLL_SECONDS ago."""
        now = time.monotonic()
        if self.reading or self.gone or now - self.read_at < POLL_SECONDS:
            return
        self.reading, self.read_at = True, now
        background_tasks.create(self.poll(), name=f'log of job {self.job_id}')

    async def poll(self) -> None:
        try:
            read = await run.io_bound(self.service.log, self.job_id, self.offset or 0,
                                      TAIL_BYTES if self.offset is None else None)
        except NotFound:  # the job was removed while the page was open
            self.gone = True
            self.on_gone()
            return
        finally:
            self.reading = False
        if read is None:  # the page is going away
            return
        first = self.offset is None
        text, offset = read
        if not text:  # nothing new; before the first text, go on starting at the tail
            return
        self.offset = offset
        self.empty.visible = False
        if first and self.offset > len(text.encode()):  # opened at the tail of a long log
            self.log.push(f'[progress-app] … {fmt.size(self.offset - len(text.encode()))} of earlier lines: '
                          'download the log to read them')
        lines = text.rstrip('\n').split('\n')
        if self.follow.value:
            self.log.push('\n'.join(lines))
        else:
            self.waiting.extend(lines)
            self.waiting = self.waiting[-MAX_LINES:]
            self.held.text = f'{len(self.waiting)} new line(s) held — turn Follow on to see them'

    def _release(self) -> None:
        if self.follow.value and self.waiting:
            self.log.push('\n'.join(self.waiting))
            self.waiting = []
        self.held.text = ''

    def _download(self) -> None:
        ui.download.from_url(f'/api/jobs/{self.job_id}/log?download=true', f'job-{self.job_id}.log')
