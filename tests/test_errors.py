"""InvalidParams' constructors: one field, and a pydantic ValidationError."""

from __future__ import annotations

from typing import Annotated

import pytest
from pydantic import BaseModel, Field, ValidationError, field_validator

from progress_app.errors import InvalidParams


class Model(BaseModel):
    size: Annotated[int, Field(ge=1)]
    name: str

    @field_validator('name')
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError('must not be blank')
        return value


def refusal(data: dict) -> ValidationError:
    with pytest.raises(ValidationError) as caught:
        Model.model_validate(data)
    return caught.value


def test_one_field():
    error = InvalidParams.field('name', 'must be 1 to 200 characters')
    assert error.errors == [{'loc': ['name'], 'msg': 'must be 1 to 200 characters', 'type': 'value_error'}]
    assert str(error) == 'name: must be 1 to 200 characters'


def test_one_field_at_a_path_with_its_own_type():
    error = InvalidParams.field(['notify_urls', 2], "'x' is not a valid Apprise URL", 'url_error')
    assert error.errors == [{'loc': ['notify_urls', 2], 'msg': "'x' is not a valid Apprise URL", 'type': 'url_error'}]
    assert str(error) == "notify_urls.2: 'x' is not a valid Apprise URL"


def test_from_validation_keeps_every_error_and_drops_pydantics_value_error_prefix():
    error = InvalidParams.from_validation(refusal({'size': 0, 'name': ' '}))
    assert error.errors == [
        {'loc': ['size'], 'msg': 'Input should be greater than or equal to 1', 'type': 'greater_than_equal'},
        {'loc': ['name'], 'msg': 'must not be blank', 'type': 'value_error'},
    ]


def test_from_validation_under_a_prefix_with_its_own_messages():
    error = InvalidParams.from_validation(refusal({'size': 3}), prefix=['params'],
                                          message=lambda e: f"{e['type']} here")
    assert error.errors == [{'loc': ['params', 'name'], 'msg': 'missing here', 'type': 'missing'}]
    assert str(error) == 'params.name: missing here'
