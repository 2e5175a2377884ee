"""The built-in kinds, registered on first use (importing a kind module registers it)."""

from __future__ import annotations


def register() -> None:
    import progress_app.kinds.batch
    import progress_app.kinds.video  # noqa: F401
    from progress_app.kinds import command, demo, external  # noqa: F401
