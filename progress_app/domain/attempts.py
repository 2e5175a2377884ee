"""A job's attempts: how long one may run (`timeout_seconds`, running time: pauses do not count) and how many more
it gets after a failure (`retries`), waiting `retry_delay_seconds` before the first retry and twice as long before
each next one, at most an hour.

They live in the job's `options` (no columns of their own), beside the bookkeeping of its retries:
`retry` {'number': n} is the retry the job waits for or runs (1 for the first), and `try_from` the job's running
time when its current try began (a retry, automatic or by hand, gets its whole time limit again; an interruption by
a restart does not: its try goes on). Pure: running times and clocks are plain numbers.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError

from progress_app.domain.duration import duration
from progress_app.domain.limits import whole_number
from progress_app.errors import InvalidParams

TIMEOUT_MAX = 366 * 86400.0
"""The longest time limit: about a year of running time."""
RETRIES_MAX = 100
"""The most automatic retries a job may ask for."""
RETRY_DELAY_MAX = 3600.0
"""No wait before a retry is longer than this (an hour), however often the delay has doubled."""
DEFAULT_RETRY_DELAY = 10.0
"""The wait before the first retry when a job asks for retries without saying how long."""
POLICY = ('timeout_seconds', 'retries', 'retry_delay_seconds')
"""The option names a submission and a schedule give; what Run again and a schedule's runs pass on."""

TimeoutSeconds = Annotated[float | None, Field(
    gt=0, le=TIMEOUT_MAX, description='Fail an attempt that has run this long (seconds of running time: pauses do '
    'not count); it is stopped as Cancel stops a job')]
Retries = Annotated[int, Field(ge=0, le=RETRIES_MAX, description='How many more attempts a failed job gets, '
                               'each from its last checkpoint'), BeforeValidator(whole_number)]
RetryDelay = Annotated[float | None, Field(
    ge=0, le=RETRY_DELAY_MAX, description=f'Seconds before the first retry (default {DEFAULT_RETRY_DELAY:g}); each '
    'next one waits twice as long, at most an hour')]


class Policy(BaseModel):
    """What a job asks of its attempts, as every way of submitting one takes it."""

    model_config = ConfigDict(extra='ignore', strict=True)

    timeout_seconds: TimeoutSeconds = None
    retries: Retries = 0
    retry_delay_seconds: RetryDelay = None


def problems(options: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The errors of the policy in a job's `options` (InvalidParams problems naming the field), [] if it is fine."""
    try:
        Policy.model_validate({name: options[name] for name in POLICY if name in options})
    except ValidationError as exc:
        return InvalidParams.from_validation(exc).errors
    return []


def policy(source: Mapping[str, Any]) -> dict[str, Any]:
    """The policy options given in `source` (a submission's fields, a job's options), without the unset ones (and
    without a retry delay when there are no retries)."""
    given = {name: source[name] for name in POLICY if source.get(name) is not None}
    if not given.get('retries'):
        given.pop('retries', None)
        given.pop('retry_delay_seconds', None)
    return given


def timeout_left(options: Mapping[str, Any], elapsed: float) -> float | None:
    """Seconds of running time the current try has left at the job's running time `elapsed`; None: no limit."""
    limit = options.get('timeout_seconds')
    if limit is None:
        return None
    return limit - (elapsed - options.get('try_from', 0.0))


def timed_out(options: Mapping[str, Any]) -> str:
    """The error of a try that ran out of time: 'timed out after 2 s'."""
    return f"timed out after {duration(options.get('timeout_seconds'))}"


def next_retry(options: Mapping[str, Any]) -> int | None:
    """The number of the retry a failure now leads to (1 for the first), or None: no retries left."""
    number = (options.get('retry') or {}).get('number', 0) + 1
    return number if number <= (options.get('retries') or 0) else None


def retry_delay(options: Mapping[str, Any], number: int) -> float:
    """Seconds to wait before retry `number`: the first delay, doubled for each retry before it, at most an hour."""
    first = options.get('retry_delay_seconds')
    first = DEFAULT_RETRY_DELAY if first is None else first
    return min(first * 2.0 ** min(number - 1, 64), RETRY_DELAY_MAX)


def retrying(options: Mapping[str, Any], number: int, elapsed: float) -> dict[str, Any]:
    """The options of a job that waits for retry `number`, its running time being `elapsed`."""
    return {**options, 'retry': {'number': number}, 'try_from': elapsed}


def fresh_try(options: Mapping[str, Any], elapsed: float) -> dict[str, Any]:
    """The options of a job retried by hand: its retries and its time limit start again."""
    fresh = {key: value for key, value in options.items() if key != 'retry'}
    return fresh | {'try_from': elapsed} if 'timeout_seconds' in options else fresh


def waiting_retry(options: Mapping[str, Any]) -> dict[str, int] | None:
    """{'number': 2, 'of': 3} for a job that waits for a retry (call it for a scheduled job only)."""
    retry = options.get('retry')
    if not retry:
        return None
    return {'number': retry['number'], 'of': options.get('retries') or retry['number']}


def retry_words(options: Mapping[str, Any]) -> str | None:
    """'retry 2 of 3' for a job that waits for a retry; None for one that waits for its start time."""
    waiting = waiting_retry(options)
    return None if waiting is None else f"retry {waiting['number']} of {waiting['of']}"
