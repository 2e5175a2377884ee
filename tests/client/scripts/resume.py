"""A Run with a resume_key over 20 steps that checkpoints each one; --crash-at K raises after step K. Prints
'attempt A from S' (S: the resume_state it was given)."""

import argparse

from progress_app.client import Run

parser = argparse.ArgumentParser()
parser.add_argument('key')
parser.add_argument('--crash-at', type=int)
args = parser.parse_args()

with Run('resumable', total=20, resume_key=args.key) as run:
    start = run.resume_state or 0
    print(f'attempt {run.attempt} from {start}', flush=True)
    run.set_current(start)
    for step in range(start, 20):
        run.advance()
        run.checkpoint(step + 1)
        if step + 1 == args.crash_at:
            raise RuntimeError(f'crashed after step {step + 1}')
    run.result({'steps': 20 - start})
