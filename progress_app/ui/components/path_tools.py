"""What a path field gets besides its text: a *Browse* button (a file or folder on the server, file_picker.py)
and, for the main input of a kind (a video's input, a batch's source folder), an upload from the browser's own
computer (upload_box.py).

A field's `x-path` (kinds/paths.py) says it is a path; a title with 'folder' in it asks for a folder, a path the
job writes for a file name that may be new, any other for an existing file.
"""

from __future__ import annotations

from typing import Any

from nicegui import ui

from progress_app.runtime.service import JobService
from progress_app.ui.components.file_picker import Want, browse_into
from progress_app.ui.components.upload_box import UploadBox


def wanted(name: str, spec: dict[str, Any]) -> Want:
    if 'folder' in str(spec.get('title') or name).lower():
        return 'folder'
    return 'file' if spec.get('x-path') == 'read' else 'save'


class PathTools:
    def __init__(self, service: JobService) -> None:
        self.service = service
        self.upload: UploadBox | None = None

    def attach(self, field: ui.input, name: str, spec: dict[str, Any], required: bool) -> None:
        """Add the tools to `field` (call right after creating it: an upload box goes under it)."""
        want = wanted(name, spec)
        with field.add_slot('append'):
            ui.button('Browse', icon='folder_open', on_click=lambda: browse_into(self.service, field, want)).props(
                'flat dense no-caps').mark(f'browse-{name}').tooltip('Choose on the server')
        if required and spec.get('x-path') == 'read' and self.upload is None:
            self.upload = UploadBox(field, multiple=want == 'folder', limit=self.service.uploads.limit())

    @property
    def uploading(self) -> UploadBox | None:
        """The upload on its way, if any."""
        return self.upload if self.upload is not None and self.upload.busy else None
