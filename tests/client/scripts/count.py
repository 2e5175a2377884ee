"""Counts N items through the drop-in tqdm, DELAY s each. Writes 'done ticks' to STATE: how many items it has
done, and a tick a side thread adds every 20 ms (so a test sees the script alive while its loop stands still).
With --gate FILE --gate-at K it waits before item K until FILE exists."""

import argparse
import os
import threading
import time
from pathlib import Path

from progress_app.client import tqdm

parser = argparse.ArgumentParser()
parser.add_argument('state')
parser.add_argument('--n', type=int, default=150)
parser.add_argument('--delay', type=float, default=0.01)
parser.add_argument('--name', default='count')
parser.add_argument('--gate')
parser.add_argument('--gate-at', type=int, default=0)
args = parser.parse_args()
done = 0


def tick() -> None:
    ticks = 0
    while True:
        ticks += 1
        tmp = Path(f'{args.state}.tmp')
        tmp.write_text(f'{done} {ticks}')
        os.replace(tmp, args.state)
        time.sleep(0.02)


threading.Thread(target=tick, daemon=True).start()
for i in tqdm(range(args.n), desc=args.name):
    if args.gate and i == args.gate_at:
        while not Path(args.gate).exists():
            time.sleep(0.02)
    time.sleep(args.delay)
    done += 1
