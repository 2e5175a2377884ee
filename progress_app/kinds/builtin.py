"""The built-in kinds, registered on first use (importing a kind module registers it)."""

from __future__ import annotations


def register() -> None:
    from progress_app.kinds import command, demo  # noqa: F401
