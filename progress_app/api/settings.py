"""REST routes for the Settings page's preferences: read them, change some, send a test notification.

The same validation and messages as the page: a change goes through `JobService.update_preferences`, and a bad
value is a 422 naming the field (each Apprise URL that is refused, by its position)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, create_model

from progress_app.api.jobs import UNREADABLE, Service
from progress_app.errors import InvalidParams
from progress_app.runtime import NotificationFailed, Preferences

router = APIRouter(prefix='/api/settings', tags=['settings'])
UNDELIVERED = {**UNREADABLE,
               502: {'description': 'The notification could not be delivered (the reason is in detail)'}}


def _optional(name: str) -> tuple[Any, Any]:
    """A preference as a PATCH field: the same type and limits, not required, and never null."""
    info = Preferences.model_fields[name]
    kind = Annotated[(info.annotation, *info.metadata)] if info.metadata else info.annotation
    return kind, Field(default=None, title=info.title)


SettingsChange = create_model(
    'SettingsChange',
    __config__=ConfigDict(extra='forbid', strict=True, json_schema_extra={'examples': [{'workers': 2}]}),
    **{name: _optional(name) for name in Preferences.model_fields})
"""Any of the preferences; those left out stay as they are."""

SettingsOut = create_model(
    'SettingsOut', __base__=Preferences,
    given_at_start=(dict[str, str], Field(description='Preferences a start-up flag or variable fixed for this run '
                                                      '(name: flag); a change is saved but that value wins '
                                                      'whenever the app starts with it')))


class TestNotification(BaseModel):
    model_config = ConfigDict(extra='forbid', strict=True)

    urls: Annotated[list[str] | None, Field(description='Apprise URLs to try (default: the saved ones)')] = None


class TestSent(BaseModel):
    sent: Annotated[int, Field(description='How many URLs the test message went to')]


def _shown(service: Service) -> dict[str, Any]:
    return service.preferences().model_dump() | {'given_at_start': service.preferences_given_at_start()}


@router.get('', response_model=SettingsOut)
def read_settings(service: Service) -> dict[str, Any]:
    return _shown(service)


@router.patch('', response_model=SettingsOut, responses=UNREADABLE)
def change_settings(change: SettingsChange, service: Service) -> dict[str, Any]:  # type: ignore[valid-type]
    """Change the preferences given; they are saved and applied at once, as on the Settings page."""
    changes = change.model_dump(exclude_unset=True)  # type: ignore[attr-defined]
    if changes:
        service.update_preferences(**changes)
    return _shown(service)


@router.post('/notifications/test', response_model=TestSent, responses=UNDELIVERED)
def test_notification(service: Service, body: TestNotification | None = None) -> Any:
    """Send a test message to `urls`, or to the saved notification URLs (422 when there are none)."""
    urls = None if body is None else body.urls
    if not [url for url in (service.preferences().notify_urls if urls is None else urls) if url.strip()]:
        raise InvalidParams.field('urls', 'no notification URLs: give `urls` to try, or save some first')
    try:
        return {'sent': service.send_test_notification(urls)}
    except NotificationFailed as exc:
        return JSONResponse({'detail': str(exc)}, status_code=502)
