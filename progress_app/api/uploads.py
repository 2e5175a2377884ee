"""`POST /api/uploads`: a file (or several) sent as `multipart/form-data`, streamed to the data dir's `uploads/`
as it arrives. The answer's `path` is a job's `input` (a video) or, for several files, a batch's `source`."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.requests import ClientDisconnect

from progress_app.api.jobs import Service
from progress_app.runtime.files.receive import UploadRefused

router = APIRouter(prefix='/api', tags=['uploads'])


class UploadedFile(BaseModel):
    name: str
    path: str
    size: int


class UploadOut(BaseModel):
    path: str
    """The file, or the upload's folder when several files were sent: give it as `input` or `source`."""
    folder: str
    """The upload's own folder (a batch's `source`)."""
    name: str
    size: int
    """Bytes received, of all files."""
    files: list[UploadedFile]


BODY = {'requestBody': {'required': True, 'content': {'multipart/form-data': {'schema': {
    'type': 'object', 'required': ['file'],
    'properties': {'file': {'type': 'string', 'format': 'binary', 'description': 'A file (the field may repeat)'}}}}}}}
REFUSED = {status: {'description': text} for status, text in (
    (400, 'No file in the body, or a malformed body'), (413, 'Larger than the limit set in Settings → Uploads'),
    (415, 'Not multipart/form-data'))}


@router.post('/uploads', response_model=UploadOut, status_code=201, responses=REFUSED, openapi_extra=BODY)
async def upload(request: Request, service: Service) -> Any:
    """Send files as multipart form fields (`curl -F file=@video.mp4`); they are written to disk as they arrive,
    so any size up to the limit in Settings works. A refused or broken-off upload leaves nothing behind. The
    files are removed with the last job that uses them (or after a day if no job does)."""
    length = request.headers.get('content-length')
    try:
        return await service.uploads.receive(request.stream(), request.headers.get('content-type', ''),
                                             int(length) if length and length.isdigit() else None)
    except UploadRefused as exc:
        # Refused before the body was read: close the connection, or the client's next request reads the rest
        return JSONResponse({'detail': str(exc)}, status_code=exc.status, headers={'Connection': 'close'})
    except ClientDisconnect:  # cancelled in the browser, or the connection broke: what came is already gone
        return JSONResponse({'detail': 'the upload broke off before its end'}, status_code=400)
