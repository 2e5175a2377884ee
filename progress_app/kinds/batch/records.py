"""What a batch keeps of its finished items: the journal (one line per item, written before the item counts as
done, so a restart does none twice), the report and the checksum manifest."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

from progress_app.kinds.batch.files import write_text_atomic

REPORT_FIELDS = ('item', 'status', 'bytes', 'seconds', 'error', 'output')
MANIFEST = 'SHA256SUMS'


class Journal:
    """An append-only file of finished items (JSON lines). After a crash it says which items are done, so none
    is done twice; a line cut off by the crash is dropped (its item was in flight and is done again)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._file: io.TextIOWrapper | None = None

    def load(self) -> dict[str, dict[str, Any]]:
        """The records by item; the last record of an item wins."""
        if not self.path.exists():
            return {}
        data = self.path.read_bytes()
        complete = data[:data.rfind(b'\n') + 1]
        if len(complete) != len(data):
            with self.path.open('r+b') as file:  # appending after a cut-off line would glue two records
                file.truncate(len(complete))
        records: dict[str, dict[str, Any]] = {}
        for line in complete.decode('utf-8', errors='replace').splitlines():
            try:
                record = json.loads(line)
            except ValueError:
                continue
            if isinstance(record, dict) and isinstance(record.get('item'), str):
                records[record['item']] = record
        return records

    def append(self, record: dict[str, Any]) -> None:
        if self._file is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._file = self.path.open('a', encoding='utf-8')
        # One write per line; flushed to the OS at once, so a killed process loses nothing written before it.
        # No fsync: the checkpoint database is not synced per commit either (synchronous=NORMAL).
        self._file.write(json.dumps(record, ensure_ascii=False) + '\n')
        self._file.flush()

    def clear(self) -> None:
        self.close()
        self.path.unlink(missing_ok=True)

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None


def write_report(folder: Path, summary: dict[str, Any], rows: list[dict[str, Any]]) -> None:
    """`report.csv` (one row per item) and `report.json` (the summary, and the same rows as `items`)."""
    extra = list(dict.fromkeys(key for row in rows for key in row if key not in REPORT_FIELDS and key != 'attempt'))
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=[*REPORT_FIELDS, *extra], extrasaction='ignore', lineterminator='\n')
    writer.writeheader()
    writer.writerows(rows)
    write_text_atomic(folder / 'report.csv', out.getvalue())
    write_text_atomic(folder / 'report.json', json.dumps({**summary, 'items': rows}, indent=2, ensure_ascii=False))


def write_manifest(target: Path, rows: list[dict[str, Any]]) -> None:
    """A sha256sum manifest ('<hash>  <path>' per line; `sha256sum -c` verifies it from the source folder)."""
    lines = []
    for row in rows:
        if row['status'] == 'ok':
            name = row['item']
            if '\\' in name or '\n' in name:  # sha256sum's escaping: a leading backslash marks an escaped name
                escaped = name.replace('\\', '\\\\').replace('\n', '\\n')
                lines.append(f'\\{row["sha256"]}  {escaped}\n')
            else:
                lines.append(f'{row["sha256"]}  {name}\n')
    write_text_atomic(target, ''.join(lines))
