"""A job's priority, as every way of submitting one takes it: a whole number from -1000 to 1000."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BeforeValidator, Field

LOWEST, HIGHEST = -1000, 1000


def whole_number(value: Any) -> Any:
    """-32.0 → -32: JSON has one kind of number, and JSON Schema's 'integer' includes -32.0 (a client may well send
    it so). Anything else is left to the strict integer check, which refuses -32.5, '5' and true."""
    return int(value) if isinstance(value, float) and value.is_integer() else value


Priority = Annotated[int, Field(ge=LOWEST, le=HIGHEST, description='Higher runs first'), BeforeValidator(whole_number)]
