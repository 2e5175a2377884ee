"""Example plugin: count the lines, words and characters of the text files in a folder.

Copy this file into `<data-dir>/plugins/` and restart the app: a "Word count" kind appears in "New job".

It shows the everyday parts of the job function API:
- `ctx.stage(...)` blocks for the stages declared in `@job_kind(stages=...)`;
- `ctx.track(files)` for progress, pause/cancel points and a checkpoint after every file: after the app is
  killed the loop goes on at the next unfinished file;
- `ctx.message(...)` for the line under the progress bar, `ctx.log(...)` for the job's log;
- `ctx.output_dir` for result files (they become the job's download), and a returned dict as the job's result.

Per-file counts are appended to `counts.jsonl` as they are made, keyed by file, so a file that is counted again
after a restart (the one in flight when the app died) simply replaces its earlier line.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Annotated

from pydantic import Field

from progress_app import JobContext, job_kind


@job_kind('word_count', title='Word count', stages={'scan': 1, 'count': 8, 'report': 1}, icon='notes')
def word_count(ctx: JobContext,
               folder: Annotated[str, Field(description='Folder with the text files')],
               pattern: Annotated[str, Field(description="Which files, e.g. '*.txt' or '**/*.md'")] = '**/*.txt',
               encoding: Annotated[str, Field(description='Text encoding of the files')] = 'utf-8',
               top: Annotated[int, Field(ge=0, le=1000, description='How many of the commonest words to list')] = 10,
               ) -> dict:
    """Count lines, words and characters of every text file in a folder; writes word_counts.csv."""
    root = Path(folder).expanduser()
    if not root.is_dir():
        raise ValueError(f"'{root}' is not a folder")

    with ctx.stage('scan'):
        files = sorted(p for p in root.glob(pattern) if p.is_file())
        ctx.message(f'{len(files)} files to count')
        ctx.log(f'{len(files)} files match {pattern!r} in {root}')

    partial = ctx.output_dir / 'counts.jsonl'
    with ctx.stage('count'):
        for path in ctx.track(files, unit='files'):
            name = str(path.relative_to(root))
            ctx.message(f'Counting {name}')
            text = path.read_text(encoding=encoding, errors='replace')
            words = text.split()
            frequent: dict[str, int] = {}
            for word in words:
                key = word.strip('.,;:!?"\'()[]{}').lower()
                if key:
                    frequent[key] = frequent.get(key, 0) + 1
            line = {'file': name, 'lines': len(text.splitlines()), 'words': len(words), 'chars': len(text),
                    'frequent': frequent}
            with partial.open('a', encoding='utf-8') as out:
                out.write(json.dumps(line) + '\n')

    with ctx.stage('report'):
        counts: dict[str, dict] = {}
        if partial.exists():
            for raw in partial.read_text(encoding='utf-8').splitlines():
                if raw.strip():
                    entry = json.loads(raw)
                    counts[entry['file']] = entry  # a file counted twice (after a restart) keeps one entry
        totals = {key: sum(c[key] for c in counts.values()) for key in ('lines', 'words', 'chars')}
        overall: dict[str, int] = {}
        for entry in counts.values():
            for word, n in entry['frequent'].items():
                overall[word] = overall.get(word, 0) + n
        with (ctx.output_dir / 'word_counts.csv').open('w', newline='', encoding='utf-8') as report:
            writer = csv.writer(report)
            writer.writerow(['file', 'lines', 'words', 'chars'])
            for name in sorted(counts):
                writer.writerow([name, counts[name]['lines'], counts[name]['words'], counts[name]['chars']])
            writer.writerow(['TOTAL', totals['lines'], totals['words'], totals['chars']])
        partial.unlink(missing_ok=True)
        commonest = sorted(overall.items(), key=lambda item: (-item[1], item[0]))[:top]
        ctx.message(f"{totals['words']} words in {len(counts)} files")
        ctx.log(f"done: {totals['words']} words, {totals['lines']} lines in {len(counts)} files")
    return {'files': len(counts), **totals, 'commonest': dict(commonest), 'report': 'word_counts.csv'}
