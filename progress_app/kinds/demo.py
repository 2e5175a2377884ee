"""`demo`: a simulated multi-stage job for trying the app. It checkpoints every item, so a restart goes on."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Annotated, Any

from pydantic import Field

from progress_app.kinds.registry import job_kind

if TYPE_CHECKING:
    from progress_app.runtime.engine.context import JobContext


def _stages(params: dict[str, Any]) -> dict[str, float] | list[str]:
    return params.get('stages') or {'prepare': 1, 'process': 8, 'finish': 1}


@job_kind('demo', title='Demo job', stages=_stages, icon='science',
          description='A simulated job: works through items in stages, with an optional failure. '
                      'Resumes at the next item after a restart.')
def demo(ctx: JobContext,
         items: Annotated[int, Field(ge=1, le=10_000_000, description='Items to process')] = 100,
         item_seconds: Annotated[float, Field(ge=0, le=3600, description='Seconds per item')] = 0.05,
         stages: Annotated[dict[str, Annotated[float, Field(gt=0)]] | None,
                           Field(description='Stage names and weights; the items run in the heaviest stage')] = None,
         fail_at_item: Annotated[int | None, Field(ge=1, description='Fail when reaching this item')] = None,
         fail_times: Annotated[int, Field(ge=1, description='How many attempts fail (then a retry succeeds)')] = 1,
         ) -> dict[str, Any]:
    names = _stages({'stages': stages})
    weights = dict(names) if isinstance(names, dict) else dict.fromkeys(names, 1.0)
    main_stage = max(weights, key=lambda name: weights[name])
    for name in weights:
        with ctx.stage(name):
            if name != main_stage:
                for _ in ctx.track(range(5), unit='steps'):
                    time.sleep(item_seconds)
                continue
            ctx.message(f'{items} items to process')
            for item in ctx.track(range(1, items + 1), unit='items'):
                if fail_at_item == item and ctx.attempt <= fail_times:
                    raise RuntimeError(f'simulated failure at item {item} (attempt {ctx.attempt})')
                if item_seconds:
                    time.sleep(item_seconds)
                ctx.message(f'item {item} of {items}')
    ctx.log(f'processed {items} items')
    ctx.message(f'{items} items processed')  # what the job did, in words and counts that agree
    ctx.set_total(items, 'items')
    ctx.set_current(items)
    return {'items': items}
