"""The *Browse* dialog of a path field: a folder's contents on the server, folders first, within the allowed folders
(the service's `browser` lists them; this module never reads the file system). Tap a folder to open it, a file to
pick it; the location line takes a typed path (Enter goes there); every entry is reachable with Tab and Enter.

`want`: 'file' (pick an existing file), 'folder' (pick the folder shown), 'save' (a folder and a file name, which
may be new: an output).
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from nicegui import run, ui

from progress_app.errors import InvalidParams
from progress_app.runtime.files.browse import Entry, Listing
from progress_app.runtime.service import JobService
from progress_app.ui import format

Want = Literal['file', 'folder', 'save']
TITLES = {'file': 'Choose a file', 'folder': 'Choose a folder', 'save': 'Where to write it'}
ICONS = {'.mp4': 'movie', '.mkv': 'movie', '.mov': 'movie', '.webm': 'movie', '.avi': 'movie', '.jpg': 'image',
         '.jpeg': 'image', '.png': 'image', '.webp': 'image', '.gif': 'image', '.txt': 'article', '.zip': 'archive'}


class FilePicker:
    """One dialog per field: `await FilePicker(service, want).choose(current)` is the chosen path, or None."""

    def __init__(self, service: JobService, want: Want) -> None:
        self.service, self.want = service, want
        self.listing: Listing | None = None
        self.selected: str | None = None
        with ui.dialog() as self.dialog, ui.card().classes('w-full gap-2 p-3 sm:p-4').style(
                'max-width: 720px').mark('file-picker'):
            with ui.row().classes('w-full items-center no-wrap gap-2'):
                ui.icon('folder_open', size='sm').classes('text-primary')
                ui.label(TITLES[want]).classes('text-lg font-medium grow')
                ui.button(icon='close', on_click=self.dialog.close).props('flat round dense').tooltip('Close')
            with ui.row().classes('w-full items-center no-wrap gap-1'):
                ui.button(icon='arrow_upward', on_click=self.up).props('flat round dense').mark(
                    'browse-up').tooltip('The folder above')
                self.location = ui.input().props('outlined dense autocorrect=off autocapitalize=off '
                                                 'spellcheck=false').classes('grow mono').mark('browse-location')
                self.location.on('keydown.enter', lambda: self.go(self.location.value))
            with ui.row().classes('w-full items-center gap-x-2 gap-y-1'):
                self.roots = ui.row().classes('items-center gap-1')
                ui.space()
                self.hidden = ui.switch('Hidden files', on_change=lambda: self.go(self.shown_folder)).props(
                    'dense').classes('text-sm')
            self.entries = ui.list().props('bordered separator dense').classes(
                'w-full overflow-y-auto rounded').style('max-height: min(55vh, 480px); min-height: 120px')
            self.note = ui.label().classes('text-sm muted')
            self.name = ui.input('File name').props('outlined dense').classes('w-full').mark('browse-name')
            self.name.visible = want == 'save'
            with ui.row().classes('w-full items-center justify-end gap-2'):
                ui.button('Cancel', on_click=self.dialog.close).props('flat no-caps')
                self.choose_button = ui.button('Choose this folder' if want == 'folder' else 'Choose',
                                               icon='check', on_click=self.choose).props(
                    'unelevated no-caps').mark('browse-choose')

    @property
    def shown_folder(self) -> str | None:
        return self.listing.folder if self.listing else None

    async def open(self, current: str | None) -> str | None:
        """Show the dialog at the folder of `current` (a path the field holds), else where the browser starts."""
        start = None
        if current and current.strip():
            path = Path(current.strip()).expanduser()
            start = str(path if self.want == 'folder' else path.parent)
            if self.want == 'save':
                self.name.value = path.name
        self.dialog.open()
        if not await self.go(start) and start is not None:
            await self.go(None)  # the field's folder is not there (or not allowed): where the browser starts
        return await self.dialog

    async def go(self, folder: str | None) -> bool:
        try:
            listing = await run.io_bound(self.service.browser.list, folder, hidden=bool(self.hidden.value))
        except InvalidParams as exc:
            self.location.error = exc.errors[0]['msg']
            return False
        if listing is None:  # the page went away
            return False
        self.listing, self.selected = listing, None
        self.location.error = None
        self.location.value = listing.folder
        self._draw()
        return True

    async def up(self) -> None:
        if self.listing and self.listing.parent:
            await self.go(self.listing.parent)

    def _draw(self) -> None:
        assert self.listing is not None
        listing = self.listing
        self.roots.clear()
        with self.roots:
            for root in listing.roots:
                home, top = Path(root) == Path.home(), root == '/'
                icon = 'home' if home else ('computer' if top else 'folder_special')
                label = 'Home' if home else ('Computer' if top else Path(root).name)
                ui.button(label, icon=icon, on_click=lambda r=root: self.go(r)).props(
                    'flat dense no-caps size=sm').tooltip(root)
        self.entries.clear()
        with self.entries:
            for entry in listing.entries:
                self._entry(entry)
            if not listing.entries:
                with ui.item().classes('muted'):
                    ui.item_section('This folder is empty' + ('' if self.hidden.value else ' (hidden files aside)'))
        more = f'; the first {len(listing.entries):,} are shown' if listing.total > len(listing.entries) else ''
        self.note.text = f'{listing.total:,} entries{more}' if listing.total != 1 else '1 entry'
        self._update_choice()

    def _entry(self, entry: Entry) -> None:
        pickable = entry.folder or self.want != 'folder'
        item = ui.item(on_click=lambda e=entry: self._click(e)).props('clickable' if pickable else 'disable')
        item.mark('browse-entry').classes('py-1')
        if entry.path == self.selected:
            item.classes('bg-primary text-white')
        with item:
            with ui.item_section().props('avatar').classes('min-w-0'):
                ui.icon('folder' if entry.folder else ICONS.get(Path(entry.name).suffix.lower(), 'draft'),
                        color='amber-8' if entry.folder else None)
            with ui.item_section().classes('min-w-0'):
                ui.item_label(entry.name).style('overflow-wrap: anywhere')
            if entry.size is not None:
                with ui.item_section().props('side'):
                    ui.item_label(format.size(entry.size)).props('caption')
        if not entry.folder:  # a double click (or a double tap) picks the file at once
            item.on('dblclick', lambda e=entry: self._pick(e.path))

    async def _click(self, entry: Entry) -> None:
        if entry.folder:
            await self.go(entry.path)
            return
        self.selected = entry.path
        if self.want == 'save':
            self.name.value = entry.name
        self._draw()

    def _update_choice(self) -> None:
        if self.want == 'file':
            self.choose_button.set_enabled(self.selected is not None)
            self.choose_button.text = f'Choose {Path(self.selected).name}' if self.selected else 'Choose'

    def _pick(self, path: str) -> None:
        self.service.browser.remember(path)
        self.dialog.submit(path)

    def choose(self) -> None:
        if self.listing is None:
            return
        if self.want == 'folder':
            self._pick(self.listing.folder)
        elif self.want == 'save':
            name = (self.name.value or '').strip()
            if not name or '/' in name:
                self.name.error = 'Give a file name, e.g. video.mp4'
                return
            self._pick(str(Path(self.listing.folder) / name))
        elif self.selected:
            self._pick(self.selected)


async def browse_into(service: JobService, field: ui.input, want: Want) -> None:
    """Open the dialog for `field` and put the chosen path in it."""
    with field.client.content:  # not in the field's slot, where the click came from
        picker = FilePicker(service, want)
    chosen = await picker.open(field.value)
    if field.client.is_deleted or picker.dialog.is_deleted:  # the page went away meanwhile
        return
    picker.dialog.delete()
    if chosen:
        field.value = chosen
        field.error = None
