"""A parameter that is neither a text, a number, a choice nor a mapping of names (a list, nested objects): edited
in the JSON editor, which marks a syntax error or a value its schema refuses as it is typed."""

from __future__ import annotations

import json
from typing import Any

from nicegui import events, ui

from progress_app.ui.components.field_box import FieldBox


class JsonField(FieldBox):
    def __init__(self, label: str, hint: str, value: Any, schema: dict[str, Any]) -> None:
        super().__init__(label, hint)
        self.current: dict[str, Any] = {'text': ''} if value is None else {'json': value}
        with self.body:
            self.editor = ui.json_editor({'content': self.current, 'mode': 'text', 'mainMenuBar': False,
                                          'navigationBar': False, 'statusBar': False}, schema=schema,
                                         on_change=self._changed).classes('w-full').style('height: 9rem')

    def _changed(self, event: events.JsonEditorChangeEventArguments) -> None:
        self.current = event.content

    def read(self) -> Any:
        """The value, None when left empty; raises ValueError for text that is not JSON."""
        if 'json' in self.current:
            return self.current['json']
        text = (self.current.get('text') or '').strip()
        if not text:
            return None
        try:
            return json.loads(text)
        except ValueError as exc:
            raise ValueError(f'not valid JSON: {exc.msg} (line {exc.lineno})') from None
