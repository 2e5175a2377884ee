"""A name → value mapping as rows of two inputs (a command's environment, a demo's stage weights): a row per entry,
`Add` for one more, `×` to remove one."""

from __future__ import annotations

from typing import Any

from nicegui import ui

from progress_app.ui.components.field_box import FieldBox


class KeyValues(FieldBox):
    def __init__(self, label: str, hint: str, value: dict[str, Any] | None, *, numbers: bool) -> None:
        super().__init__(label, hint)
        self.numbers = numbers
        self.rows: list[tuple[ui.input, Any]] = []
        with self.foot:
            ui.button('Add', icon='add', on_click=lambda: self.add_row('', None)).props(
                'flat dense no-caps color=primary').mark('key-values-add').move(target_index=0)
        for key, item in (value or {}).items():
            self.add_row(key, item)

    def add_row(self, key: str, value: Any) -> None:
        with self.body, ui.row().classes('w-full items-center gap-2 no-wrap') as row:
            name = ui.input('Name', value=key).props('outlined dense').classes('basis-1/3 grow').mark('key-values-name')
            if self.numbers:
                item = ui.number('Value', value=value).props('outlined dense').classes('basis-1/3 grow')
            else:
                item = ui.input('Value', value='' if value is None else str(value)).props('outlined dense').classes(
                    'basis-1/2 grow')
            item.mark('key-values-value')
            entry = (name, item)
            ui.button(icon='close', on_click=lambda: self._remove(row, entry)).props(
                'flat round dense aria-label="Remove"').tooltip('Remove')
        self.rows.append(entry)

    def _remove(self, row: ui.row, entry: tuple[ui.input, Any]) -> None:
        self.rows.remove(entry)
        row.delete()

    def read(self) -> dict[str, Any]:
        """The entries (rows left empty are skipped); raises ValueError for a row that cannot be one."""
        out: dict[str, Any] = {}
        for name, item in self.rows:
            key = (name.value or '').strip()
            value = item.value
            if not key and value in (None, ''):
                continue
            if not key:
                raise ValueError('every value needs a name')
            if key in out:
                raise ValueError(f"'{key}' is given twice")
            if self.numbers and value is None:
                raise ValueError(f"'{key}' needs a number")
            out[key] = value if not self.numbers or not float(value).is_integer() else int(value)
        return out
