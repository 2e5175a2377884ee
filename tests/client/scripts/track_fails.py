"""A `track` loop whose body raises at item 5: the job fails with the script's exception."""

from progress_app.client import track

for item in track(range(10), name='track fails'):
    if item == 5:
        raise ValueError(f'bad item {item}')
