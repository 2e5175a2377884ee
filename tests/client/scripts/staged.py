"""A Run with two declared stages, a message and log lines; --gate FILE waits for FILE before it starts."""

import argparse
import time
from pathlib import Path

from progress_app.client import Run

parser = argparse.ArgumentParser()
parser.add_argument('--gate')
args = parser.parse_args()

with Run('staged', stages=['download', 'unpack'], unit='files') as run:
    while args.gate and not Path(args.gate).exists():
        time.sleep(0.02)
    for stage, count in (('download', 4), ('unpack', 6)):
        run.stage(stage)
        run.set_total(count)
        for i in range(count):
            run.message(f'{stage} file {i}')
            run.log(f'{stage}ed file {i}')
            time.sleep(0.01)
            run.advance()
