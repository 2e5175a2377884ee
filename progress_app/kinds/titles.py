"""Titles for the values of a choice: what the new-job form shows for each, while the value stays what is sent,
stored and given to the job function.

    VideoCodec = Annotated[Literal['h264', 'copy'], Titles({'h264': 'H.264', 'copy': 'Copy (keep the video)'})]

The titles go into the params JSON schema as `"x-titles": {value: title}` beside the `enum`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

TITLES = 'x-titles'


class Titles:
    """Hashable, as typing needs of what an `Annotated` carries (`Preset | None` hashes it)."""

    __slots__ = ('pairs',)

    def __init__(self, titles: Mapping[str, str]) -> None:
        self.pairs = tuple(titles.items())

    def __hash__(self) -> int:
        return hash(self.pairs)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Titles) and other.pairs == self.pairs

    def __get_pydantic_json_schema__(self, core_schema: Any, handler: Any) -> dict[str, Any]:
        schema = handler(core_schema)
        schema[TITLES] = dict(self.pairs)
        return schema
