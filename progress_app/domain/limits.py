"""The limits of what a user gives, one place for each: the API's models, the service's own checks (scripts and
schedules call it without the API) and the new-job form all read them here."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BeforeValidator, Field

NAME_MAX = 200
"""A job's or a schedule's name: 1 to this many characters."""
KIND_MAX = 100
"""A kind's name, as a submission or a filter gives it."""
TOKEN_NAME_MAX = 100
"""An API token's name: 1 to this many characters."""
PRIORITY_LOWEST, PRIORITY_HIGHEST = -1000, 1000
"""A job's priority is a whole number from PRIORITY_LOWEST to PRIORITY_HIGHEST; higher runs first."""


def whole_number(value: Any) -> Any:
    """-32.0 → -32: JSON has one kind of number, and JSON Schema's 'integer' includes -32.0 (a client may well send
    it so). Anything else is left to the strict integer check, which refuses -32.5, '5' and true."""
    return int(value) if isinstance(value, float) and value.is_integer() else value


Priority = Annotated[int, Field(ge=PRIORITY_LOWEST, le=PRIORITY_HIGHEST, description='Higher runs first'),
                     BeforeValidator(whole_number)]
"""A job's priority, as every way of submitting one takes it."""


def name_fits(name: str) -> bool:
    return 0 < len(name.strip()) <= NAME_MAX


def priority_fits(priority: Any) -> bool:
    """A whole number in range; True and False are not priorities (as the API's strict check says too)."""
    whole = isinstance(priority, int) and not isinstance(priority, bool)
    return whole and PRIORITY_LOWEST <= priority <= PRIORITY_HIGHEST
