"""A form generated from a kind's params JSON schema (the pydantic model): one widget per field, with its
default, description and limits; `values()` returns what to submit, `show_errors()` puts the server's validation
messages under the fields they concern.

A choice's values are shown by the titles in its `"x-titles"` (kinds/titles.py); a mapping of names to texts or
numbers (an environment) is edited as rows of name and value.

A property with `"x-shown-when": {"operation": ["image_resize", ...]}` in its schema is shown (and submitted)
only while the field named there has one of those values: a kind with several modes shows the options of one.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from nicegui import ui

from progress_app.ui.components.json_field import JsonField
from progress_app.ui.components.key_values import KeyValues

if TYPE_CHECKING:
    from progress_app.ui.components.path_tools import PathTools

UNSET = object()


def applicable(params: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    """The parameters that apply, as the form would show them: without the options of the modes not chosen (an
    image resize does not list the video codec it would have used)."""
    properties = schema.get('properties') or {}
    return {name: value for name, value in params.items()
            if all(params.get(other) in allowed
                   for other, allowed in ((properties.get(name) or {}).get('x-shown-when') or {}).items())}


@dataclass
class Field:
    name: str
    element: Any
    read: Callable[[], Any]
    shown: Callable[[], bool] = lambda: True


def _resolve(prop: dict[str, Any]) -> tuple[dict[str, Any], bool]:
    """The property's own schema without a `null` alternative, and whether null is allowed."""
    options = prop.get('anyOf')
    if not options:
        return prop, False
    non_null = [o for o in options if o.get('type') != 'null']
    nullable = len(non_null) < len(options)
    if len(non_null) == 1:
        return {**prop, **non_null[0]}, nullable
    types = {o.get('type') for o in non_null}
    return {**prop, 'type': 'string' if 'string' in types else 'json'}, nullable


def _label(name: str, prop: dict[str, Any], required: bool) -> str:
    """The field's title in sentence case ('Item seconds'), unless the kind gave one of its own."""
    title = prop.get('title')
    if not title or title == name.replace('_', ' ').title():
        title = name.replace('_', ' ').capitalize()
    return title + (' *' if required else '')


def limits_text(spec: dict[str, Any]) -> str:
    """A number field's bounds in words: '1–100', 'at least 1', 'more than 0, at most 1'; '' for none."""
    def number(value: float) -> str:
        return f'{value:,}' if isinstance(value, int) else f'{value:g}'

    low, high = spec.get('minimum'), spec.get('maximum')
    if low is not None and high is not None:
        return f'{number(low)}–{number(high)}'
    words = {'minimum': 'at least', 'exclusiveMinimum': 'more than', 'maximum': 'at most',
             'exclusiveMaximum': 'less than'}
    return ', '.join(f'{said} {number(spec[key])}' for key, said in words.items() if spec.get(key) is not None)


class ParamsForm:
    """`paths`: what path fields (`x-path`) get besides their text (Browse, upload); none without it."""

    def __init__(self, schema: dict[str, Any], paths: PathTools | None = None) -> None:
        self.paths = paths
        self.fields: list[Field] = []
        required = set(schema.get('required', []))
        properties = schema.get('properties', {})
        with ui.column().classes('w-full gap-3'):
            for name, prop in properties.items():
                self.fields.append(self._field(name, prop, name in required))
        by_name = {f.name: f for f in self.fields}
        for field in self.fields:
            for name, allowed in (properties[field.name].get('x-shown-when') or {}).items():
                if name in by_name:
                    self._show_when(field, by_name[name].element, list(allowed))

    @staticmethod
    def _show_when(field: Field, controller: Any, allowed: list[Any]) -> None:
        field.shown = lambda: controller.value in allowed
        field.element.bind_visibility_from(controller, 'value', backward=lambda value: value in allowed)

    def _field(self, name: str, prop: dict[str, Any], required: bool) -> Field:
        spec, nullable = _resolve(prop)
        label = _label(name, spec, required)
        hint = spec.get('description', '')
        default = spec.get('default')
        kind = spec.get('type', 'json')
        if 'enum' in spec:  # shown by the titles the kind gave its values ('H.264'), sent as the values ('h264')
            titles = spec.get('x-titles') or {}
            element = ui.select({value: titles.get(value, value) for value in spec['enum']}, label=label,
                                value=default).classes('w-full')
            element.props(f'hint="{hint}" outlined' + (' clearable' if nullable else ''))
            return Field(name, element, lambda: element.value)
        if kind in ('integer', 'number'):
            low = spec.get('minimum', spec.get('exclusiveMinimum'))
            high = spec.get('maximum', spec.get('exclusiveMaximum'))
            element = ui.number(label=label, value=default, min=low, max=high,
                                precision=0 if kind == 'integer' else None, step=1 if kind == 'integer' else None)
            limits = limits_text(spec)
            element.props(f'outlined hint="{hint}{" (" + limits + ")" if limits else ""}"').classes('w-full')
            return Field(name, element, lambda: self._number(element.value, kind, nullable))
        if kind == 'boolean':
            element = ui.switch(label, value=bool(default))
            if hint:
                element.tooltip(hint)
            return Field(name, element, lambda: element.value)
        if kind == 'string':
            element = ui.input(label=label, value=default if isinstance(default, str) else '').classes('w-full')
            element.props(f'outlined hint="{hint}"')
            if self.paths is not None and spec.get('x-path'):
                self.paths.attach(element, name, spec, required)
            return Field(name, element, lambda: element.value if element.value != '' or (not nullable
                         and required) else (None if nullable else UNSET))
        scalar = (spec.get('additionalProperties') or {}).get('type') if kind == 'object' else None
        if scalar in ('string', 'number', 'integer'):  # an environment, stage weights: a row per entry
            entries = KeyValues(label, hint, default, numbers=scalar != 'string')
            return Field(name, entries, lambda: self._entries(entries))
        editor = JsonField(f'{label} (JSON)', hint, default, {k: v for k, v in spec.items() if not k.startswith('x-')})
        return Field(name, editor, lambda: self._entries(editor))

    @staticmethod
    def _number(value: Any, kind: str, nullable: bool) -> Any:
        if value is None or value == '':
            return None if nullable else UNSET
        return int(value) if kind == 'integer' and float(value).is_integer() else value

    @staticmethod
    def _entries(element: KeyValues | JsonField) -> Any:
        try:
            value = element.read()
        except ValueError as exc:
            raise FormError(element, str(exc)) from None
        return UNSET if value in (None, {}) else value

    def values(self) -> dict[str, Any]:
        """The params to submit; raises FormError for a field that cannot even be read."""
        for field in self.fields:
            self._set_error(field.element, None)
        out = {}
        for field in self.fields:
            if not field.shown():  # another mode's option: not this job's business
                continue
            value = field.read()
            if value is not UNSET:
                out[field.name] = value
        return out

    def show_errors(self, errors: list[dict[str, Any]]) -> list[str]:
        """Put each error under its field; returns the messages that belong to no field."""
        by_name = {f.name: f for f in self.fields}
        loose = []
        for error in errors:
            loc = [str(p) for p in error['loc']]
            name = loc[1] if len(loc) > 1 and loc[0] == 'params' else None
            if name in by_name:
                self._set_error(by_name[name].element, error['msg'])
            else:  # a rule over the whole form reads as a sentence, not as 'params: ...'
                where = '.'.join(loc[1:] if loc[:1] == ['params'] else loc)
                loose.append(f"{where}: {error['msg']}" if where else error['msg'])
        return loose

    @staticmethod
    def _set_error(element: Any, message: str | None) -> None:
        if hasattr(element, 'error'):
            element.error = message
        elif message:
            element.tooltip(message)


class FormError(Exception):
    def __init__(self, element: Any, message: str) -> None:
        super().__init__(message)
        self.element = element
