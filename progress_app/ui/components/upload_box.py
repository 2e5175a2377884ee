"""Sending files from the browser's own computer for a path field (a video's input, a batch's source folder).

The browser posts them itself to `POST /api/uploads` (an XMLHttpRequest: the file goes from the disk to the
socket in pieces, never through this server's memory or the page's socket.io connection), so any size up to the
limit in Settings works. A file chosen with *Upload* or dropped anywhere on the page starts at once; its progress
shows as the job's first stage ('upload · 340 MB of 1.2 GB · 12.1 MB/s · 45 s left'), it can be cancelled, and
once it is there its path fills the field. The job is created when the user starts it; started during the upload,
it starts as soon as the upload completes (the form says so).
"""

from __future__ import annotations

import json
import time
from collections.abc import Awaitable, Callable
from typing import Any

from nicegui import ui

from progress_app.domain.progress import Rate
from progress_app.ui import format

UPLOAD_JS = '''
window.progressUpload = window.progressUpload || {
  requests: {},
  target: null,
  send(files, id, limit) {
    files = Array.from(files || []);
    if (!files.length || this.requests[id]) return;
    const event = 'upload-' + id;
    const total = files.reduce((sum, f) => sum + f.size, 0);
    const names = files.map(f => f.name);
    if (total > limit) { emitEvent(event, {state: 'too_large', total, names}); return; }
    const data = new FormData();
    files.forEach(f => data.append('file', f, f.name));
    const request = new XMLHttpRequest();
    this.requests[id] = request;
    let last = 0;
    request.upload.onprogress = (e) => {
      const now = performance.now();
      if (now - last < 250 && e.loaded < e.total) return;  // a few updates a second are enough to read
      last = now;
      emitEvent(event, {state: 'progress', loaded: e.loaded, total: e.total});
    };
    const end = (state) => () => {
      delete this.requests[id];
      emitEvent(event, {state, status: request.status, body: request.responseText});
    };
    request.onload = end('answered');
    request.onerror = end('failed');
    request.onabort = end('cancelled');
    request.open('POST', '/api/uploads');
    request.send(data);
    emitEvent(event, {state: 'started', total, names});
  },
  cancel(id) { const request = this.requests[id]; if (request) request.abort(); },
};
if (!window.progressUploadDrop) {
  window.progressUploadDrop = true;
  const zone = () => window.progressUpload.target && document.getElementById('c' + window.progressUpload.target.id);
  const over = (e) => {
    if (!zone() || !Array.from(e.dataTransfer.types || []).includes('Files')) return;
    e.preventDefault();
    document.body.classList.add('upload-dragging');
  };
  document.addEventListener('dragenter', over);
  document.addEventListener('dragover', over);
  document.addEventListener('dragleave', (e) => {
    if (!e.relatedTarget) document.body.classList.remove('upload-dragging');
  });
  document.addEventListener('drop', (e) => {
    document.body.classList.remove('upload-dragging');
    const target = window.progressUpload.target;
    if (!zone() || !e.dataTransfer.files.length) return;
    e.preventDefault();
    window.progressUpload.send(e.dataTransfer.files, target.id, target.limit);
  });
}
'''
UPLOAD_CSS = '''
body.upload-dragging .upload-box { outline: 3px dashed var(--q-primary); outline-offset: 4px; }
body.upload-dragging::after { content: 'Drop to upload'; position: fixed; inset: 0; display: flex;
  align-items: center; justify-content: center; font-size: 1.5rem; background: rgba(30, 99, 214, .12);
  pointer-events: none; z-index: 9000; }
'''


def install() -> None:
    """Put the upload script and styles on the page; call while the page is built (a script added later would
    not run)."""
    ui.add_body_html(f'<script>{UPLOAD_JS}</script>')
    ui.add_css(UPLOAD_CSS)


class UploadBox:
    """Upload for `field`: `multiple` files make a folder (a batch's source), one file is a file (a video).
    `limit` is the largest upload in bytes. `busy` says whether an upload is on its way; `then(callback)` runs the
    callback once it has completed (a job started meanwhile). The page must have called `install()`."""

    def __init__(self, field: ui.input, *, multiple: bool, limit: int) -> None:
        self.field, self.multiple, self.limit = field, multiple, limit
        self.busy = False
        self._waiting: Callable[[], Awaitable[Any]] | None = None
        self._rate = Rate()
        self.names = ''
        with ui.column().classes('upload-box w-full gap-1 rounded') as self.box:
            self.chooser = ui.element('input').props(
                f'type=file {"multiple" if multiple else ""}').classes('hidden').mark('upload-input')
            self.chooser.on('change', js_handler=f'(e) => window.progressUpload.send(e.target.files, '
                                                 f'{self.chooser.id}, {limit})')
            with ui.row().classes('w-full items-center gap-2 no-wrap'):
                ui.button('Upload from this device', icon='upload',
                          on_click=lambda: ui.run_javascript(f'getHtmlElement({self.chooser.id}).click()')).props(
                    'flat dense no-caps').mark('upload-button')
                what = 'files' if multiple else 'a file'
                ui.label(f'or drop {what} on the page (up to {format.size(limit)})').classes(
                    'text-xs muted gt-xs')
            with ui.card().props('flat bordered').classes('w-full gap-1 p-2') as self.stage:
                with ui.row().classes('w-full items-center no-wrap gap-2'):
                    ui.icon('cloud_upload', size='sm').classes('text-primary')
                    self.text = ui.label().classes('grow text-sm min-w-0 break-words').mark('upload-status')
                    self.cancel_button = ui.button(icon='close', on_click=self.cancel).props(
                        'flat round dense').tooltip('Cancel the upload').mark('upload-cancel')
                self.bar = ui.linear_progress(value=0, show_value=False).props('rounded size=8px')
                self.after = ui.label().classes('text-xs muted')
        self.stage.visible = False
        ui.on(f'upload-{self.chooser.id}', self._event)
        ui.run_javascript(f'window.progressUpload.target = {{id: {self.chooser.id}, limit: {limit}}}')

    def then(self, callback: Callable[[], Awaitable[Any]]) -> None:
        self._waiting = callback
        self.after.text = 'The job starts as soon as the upload completes.'

    def cancel(self) -> None:
        ui.run_javascript(f'window.progressUpload.cancel({self.chooser.id})')

    async def _event(self, event: Any) -> None:
        data = event.args if isinstance(event.args, dict) else (event.args or [{}])[0]
        state = data.get('state')
        if state == 'started':
            self._start(data)
        elif state == 'progress':
            self._progress(data['loaded'], data['total'])
        elif state == 'too_large':
            self._end(f"{self._names(data)} is {format.size(data['total'])}, more than the limit of "
                      f'{format.size(self.limit)} (Settings → Uploads)', 'negative')
        elif state == 'answered':
            await self._answered(data.get('status', 0), data.get('body') or '')
        else:
            self._end('Upload cancelled' if state == 'cancelled' else 'The upload broke off (the connection was lost)',
                      'grey' if state == 'cancelled' else 'negative')

    def _start(self, data: dict[str, Any]) -> None:
        self.busy, self._waiting = True, None
        self.names = self._names(data)
        self._rate = Rate()
        self._rate.restart(time.monotonic(), 0)
        self.stage.visible = self.cancel_button.visible = True
        self.after.text = ''
        self._progress(0, data['total'])

    def _progress(self, loaded: float, total: float) -> None:
        now = time.monotonic()
        self._rate.sample(now, loaded)
        rate = self._rate.at(now)
        left = format.eta((total - loaded) / rate) if rate else ''
        parts = [f'upload · {format.size(loaded)} of {format.size(total)}', self.names]
        if rate:
            parts[1:1] = [format.speed(rate, 'bytes'), left]
        self.text.text = ' · '.join(parts)
        self.bar.value = loaded / total if total else 0
        self.bar.props(remove='color').props('color=primary')

    async def _answered(self, status: int, body: str) -> None:
        try:
            answer = json.loads(body)
        except ValueError:
            answer = {}
        if status != 201:
            self._end(f"The upload was refused: {answer.get('detail') or f'HTTP {status}'}", 'negative')
            return
        self.field.value, self.field.error = answer['path'], None
        waiting, self._waiting = self._waiting, None
        self._end(f"Uploaded {answer['name']} ({format.size(answer['size'])})", 'positive')
        self.bar.value = 1
        if waiting is not None:
            await waiting()

    def _end(self, text: str, color: str) -> None:
        """The upload is over: say how, in `color` (positive: done; otherwise a job waiting for it is not
        started)."""
        self.busy = False
        if self._waiting is not None:
            text += '; the job was not started'
        self._waiting = None
        self.stage.visible, self.cancel_button.visible = True, False
        self.text.text = text
        self.after.text = ''
        self.bar.props(f'color={color}')

    @staticmethod
    def _names(data: dict[str, Any]) -> str:
        names = data.get('names') or []
        return names[0] if len(names) == 1 else f'{len(names)} files'
