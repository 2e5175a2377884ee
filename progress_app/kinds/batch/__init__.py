"""`batch`: apply one operation to every file of a folder that matches a pattern.

Operations: a sha256 manifest, copy, image resize or watermark (Pillow), video transcode (ffmpeg). Progress is in
bytes (MB/s) where an item's cost follows its size, in images otherwise; the message says which item of how many.

Resuming: every finished item, failed or not, gets a line in `journal.jsonl` in the job's output folder *after*
its output was renamed into place and *before* it counts as done. A restart reads the journal and goes on with
the items it does not list: no finished item is done again (only the one in flight at a crash, which had no line
yet), and each item appears once in the report. The output folder (the job's download) holds `report.csv`,
`report.json` and, when no `dest` is given, the outputs under `files/`; the journal is removed once the batch is
done (report.json keeps its records).

    files.py        finding the files; writing an output atomically
    params.py       BatchParams: what the form shows and the API validates
    operations.py   checksum, copy, image_resize, image_watermark, video_transcode: one item each
    records.py      the journal, the report, the checksum manifest
    kind.py         the job: scan, process each item, report (importing it registers the kind)
"""

from progress_app.kinds.batch.kind import JOURNAL, OUTPUTS, BatchFailed, batch
from progress_app.kinds.batch.params import BatchParams
from progress_app.kinds.batch.records import MANIFEST, Journal

__all__ = ['JOURNAL', 'MANIFEST', 'OUTPUTS', 'BatchFailed', 'BatchParams', 'Journal', 'batch']
