"""A form field made of several elements (rows of name and value, a JSON editor): its label above, its hint below,
and the hint turned into the error in red when there is one (`error`), as an input's own hint does."""

from __future__ import annotations

from nicegui import ui


class FieldBox(ui.column):
    def __init__(self, label: str, hint: str) -> None:
        super().__init__()
        self.classes('w-full gap-1')
        self.hint = hint
        with self:
            ui.label(label).classes('text-sm muted')
            self.body = ui.column().classes('w-full gap-1')
            self.foot = ui.row().classes('w-full items-center gap-2')
            with self.foot:
                self.note = ui.label(hint).classes('text-xs muted')

    @property
    def error(self) -> str | None:
        return self.note.text if 'text-negative' in self.note.classes else None

    @error.setter
    def error(self, message: str | None) -> None:
        self.note.text = message or self.hint
        if message:
            self.note.classes(add='text-negative')
        else:
            self.note.classes(remove='text-negative')
