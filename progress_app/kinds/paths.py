"""Parameters that name files and folders, and the one check that keeps them inside the allowed folders.

A kind marks each such parameter, whatever else its field says:

    source: Annotated[str, Field(title='Source folder'), PathParam('read')]

The app checks every marked value against the folders the user allowed (Settings → Allowed folders,
--allowed-dirs) when a job is submitted and again when it starts. Kinds never learn where that list comes from:
it is passed in, so they stay free of the runtime and the database.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel

from progress_app.errors import InvalidParams

SETTING = 'Settings → Allowed folders, --allowed-dirs'
"""Where the user changes the list: every refusal names it."""


@dataclass(frozen=True, slots=True)
class PathParam:
    """Marks a parameter as a path the job reads or writes (a str, or a list of them)."""

    access: Literal['read', 'write']

    def __get_pydantic_json_schema__(self, core_schema: Any, handler: Any) -> dict[str, Any]:
        schema = handler(core_schema)
        schema['x-path'] = self.access  # API clients and forms can tell a path from other text
        return schema


class PathNotAllowed(ValueError):
    """A job's path leads outside the allowed folders when it starts (at submission this is a 422 instead)."""


def path_values(model: type[BaseModel], params: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    """(parameter name, path) for every non-blank path in `params` (as submitted or as stored) that `model`
    marks with PathParam."""
    for name, field in model.model_fields.items():
        if not any(isinstance(mark, PathParam) for mark in field.metadata):
            continue
        key = field.alias or name
        value = params.get(key)
        for item in value if isinstance(value, list | tuple) else [value]:
            if isinstance(item, str) and item.strip():
                yield key, item


def refusal(value: str, allowed: Sequence[Path]) -> str | None:
    """Why `value` may not be used, or None when it lies in one of the `allowed` folders (which are resolved).
    The path is resolved first: a symlink or '..' cannot lead out of an allowed folder."""
    try:
        given = Path(value).expanduser()
        resolved = given.resolve()
    except (OSError, RuntimeError, ValueError) as exc:  # a NUL byte, a symlink loop, an unknown ~user
        return f"'{value}' is not a usable path ({exc})"
    if any(resolved.is_relative_to(folder) for folder in allowed):
        return None
    leads = '' if resolved == given.absolute() else f" (it leads to '{resolved}')"
    return (f"'{value}'{leads} is outside the allowed folders ({SETTING}): "
            f"{', '.join(str(folder) for folder in allowed)}")


def path_problems(model: type[BaseModel], params: Mapping[str, Any],
                  allowed: Sequence[Path] | None) -> list[dict[str, Any]]:
    """One validation error (as InvalidParams lists them) per path outside `allowed`; none when `allowed` is None,
    which allows every folder."""
    if allowed is None:
        return []
    return [InvalidParams.problem(['params', key], message, 'path_not_allowed')
            for key, value in path_values(model, params) if (message := refusal(value, allowed)) is not None]


def check_paths(model: type[BaseModel], params: Mapping[str, Any], allowed: Sequence[Path] | None) -> None:
    """Raise PathNotAllowed (a job that starts fails with it) when a path of `params` is outside `allowed`."""
    problems = path_problems(model, params, allowed)
    if problems:
        raise PathNotAllowed('; '.join(f"{problem['loc'][-1]}: {problem['msg']}" for problem in problems))


def unique(folders: Sequence[str | os.PathLike[str]]) -> tuple[Path, ...]:
    """The folders resolved (as the paths checked against them are), each once, in their order."""
    return tuple(dict.fromkeys(Path(folder).expanduser().resolve() for folder in folders))
