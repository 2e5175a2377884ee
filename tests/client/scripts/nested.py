"""An outer tqdm loop of 40 items with an inner bar each (the job's message) and a tqdm.write per item (its log)."""

import time

from progress_app.client import tqdm, trange

for item in tqdm(range(40), desc='nested'):
    for _ in trange(5, desc='inner', leave=False):
        time.sleep(0.01)
    tqdm.write(f'finished item {item}')
