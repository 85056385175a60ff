"""Token-bucket rate limits kept in DynamoDB so they hold across Lambda instances.

Implemented as GCRA (generic cell rate algorithm): one number per bucket, the
theoretical arrival time (TAT) of the next request. A request is allowed when
TAT - now <= burst; it then moves TAT forward by one emission interval. Each
step is a single conditional UpdateItem, so concurrent callers cannot overspend.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

from pynamodb.exceptions import UpdateError

from chalicelib.errors import RateLimited
from chalicelib.models.base import condition_failed, expiry, now_ms
from chalicelib.models.system import RateLimitModel


@dataclass(frozen=True)
class Rate:
    """``count`` requests per ``period_s`` seconds, with bursts of up to ``burst``."""

    count: int
    period_s: int
    burst: int

    @property
    def interval_ms(self) -> float:
        return self.period_s * 1000 / self.count


def _limited(bucket: str, rate: Rate, current: int, ceiling: int, interval: int) -> RateLimited:
    wait_ms = max(0, current - ceiling)
    return RateLimited(
        "Too many requests; slow down and retry later.",
        retry_after=math.ceil(wait_ms / 1000) or 1,
        details={"bucket": bucket.split(":", 1)[0], "limit": rate.count, "period_s": rate.period_s},
    )


def check(bucket: str, rate: Rate, clock: Callable[[], int] = now_ms) -> None:
    """Raise RateLimited if ``bucket`` is empty now, without taking a token."""
    now = clock()
    interval = math.ceil(rate.interval_ms)
    ceiling = now + interval * (rate.burst - 1)
    try:
        current = int(RateLimitModel.get(bucket, consistent_read=True).tat)
    except RateLimitModel.DoesNotExist:
        return
    if current > ceiling:
        raise _limited(bucket, rate, current, ceiling, interval)


def available(bucket: str, rate: Rate, clock: Callable[[], int] = now_ms) -> int:
    """How many requests ``bucket`` would admit right now (0 to ``burst``)."""
    now = clock()
    interval = math.ceil(rate.interval_ms)
    try:
        tat = int(RateLimitModel.get(bucket, consistent_read=True).tat)
    except RateLimitModel.DoesNotExist:
        return rate.burst
    if tat <= now:
        return rate.burst
    return max(0, min(rate.burst, (now + interval * rate.burst - tat) // interval))


def consume(bucket: str, rate: Rate, clock: Callable[[], int] = now_ms) -> None:
    """Take one token from ``bucket`` or raise RateLimited with a Retry-After."""
    now = clock()
    interval = math.ceil(rate.interval_ms)
    # Largest TAT that still admits a request: a full burst ahead of now.
    ceiling = now + interval * (rate.burst - 1)
    expires = (now + interval * rate.burst) // 1000 + 60
    item = RateLimitModel(bucket)
    # Concurrent first requests on an idle bucket race: the loser of the idle-path
    # reset finds the bucket busy, so it tries the busy path again.
    for _ in range(3):
        try:
            # Busy bucket (TAT in the future, room left): push TAT on by one interval.
            item.update(
                actions=[
                    RateLimitModel.tat.add(interval),
                    RateLimitModel.expires_at.set(expiry(expires)),
                ],
                condition=RateLimitModel.tat.between(now, ceiling),
            )
            return
        except UpdateError as error:
            if not condition_failed(error):
                raise
        try:
            # Idle or new bucket (TAT in the past): restart from now.
            item.update(
                actions=[
                    RateLimitModel.tat.set(now + interval),
                    RateLimitModel.expires_at.set(expiry(expires)),
                ],
                condition=RateLimitModel.tat.does_not_exist() | (RateLimitModel.tat < now),
            )
            return
        except UpdateError as error:
            if not condition_failed(error):
                raise
        try:
            if int(RateLimitModel.get(bucket, consistent_read=True).tat) > ceiling:
                break  # really empty
        except RateLimitModel.DoesNotExist:
            continue
    # TAT is beyond the ceiling: the bucket is empty.
    try:
        current = int(RateLimitModel.get(bucket, consistent_read=True).tat)
    except RateLimitModel.DoesNotExist:
        current = ceiling + interval
    raise _limited(bucket, rate, current, ceiling, interval)


def penalise(bucket: str, rate: Rate, max_wait_s: int, clock: Callable[[], int] = now_ms) -> int:
    """An empty bucket was asked again: push its TAT one interval further (up to
    ``max_wait_s`` beyond the ceiling), so the wait grows with each attempt.
    Returns the wait in seconds before the bucket admits a request again."""
    now = clock()
    interval = math.ceil(rate.interval_ms)
    ceiling = now + interval * (rate.burst - 1)
    limit = ceiling + max_wait_s * 1000
    try:
        item = RateLimitModel(bucket)
        item.update(
            actions=[
                RateLimitModel.tat.add(interval),
                RateLimitModel.expires_at.set(expiry(limit // 1000 + 60)),
            ],
            condition=RateLimitModel.tat.between(now, limit - interval),
        )
    except UpdateError as error:
        if not condition_failed(error):
            raise
    try:
        current = int(RateLimitModel.get(bucket, consistent_read=True).tat)
    except RateLimitModel.DoesNotExist:
        return 1
    return max(1, math.ceil((current - ceiling) / 1000))
