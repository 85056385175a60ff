"""GCRA token buckets in DynamoDB: bursts, steady rate, concurrency."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
from moto import mock_aws

from chalicelib.errors import RateLimited
from chalicelib.ratelimit import Rate, consume


@pytest.fixture
def table() -> Iterator[None]:
    from chalicelib.models.system import RateLimitModel

    with mock_aws():
        RateLimitModel.create_table(billing_mode="PAY_PER_REQUEST", wait=True)
        yield


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000

    def __call__(self) -> int:
        return self.now


def test_burst_then_steady_rate(table: None) -> None:
    clock = Clock()
    rate = Rate(count=60, period_s=60, burst=5)  # one a second, bursts of five
    for _ in range(5):
        consume("b", rate, clock)
    with pytest.raises(RateLimited) as limited:
        consume("b", rate, clock)
    assert limited.value.retry_after == 1
    clock.now += 1000
    consume("b", rate, clock)
    with pytest.raises(RateLimited):
        consume("b", rate, clock)
    clock.now += 60_000  # a long idle refills the whole burst, not more
    for _ in range(5):
        consume("b", rate, clock)
    with pytest.raises(RateLimited):
        consume("b", rate, clock)


def test_concurrent_callers_never_overspend(table: None) -> None:
    clock = Clock()
    rate = Rate(count=10, period_s=60, burst=10)
    allowed: list[int] = []
    barrier = threading.Barrier(16)

    def worker() -> None:
        barrier.wait()
        for _ in range(3):
            try:
                consume("shared", rate, clock)
                allowed.append(1)
            except RateLimited:
                pass

    threads = [threading.Thread(target=worker) for _ in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(allowed) == 10


def test_concurrent_first_requests_on_an_idle_bucket_are_all_allowed(table: None) -> None:
    clock = Clock()
    rate = Rate(count=600, period_s=60, burst=50)
    refused: list[int] = []
    barrier = threading.Barrier(12)

    def worker() -> None:
        barrier.wait()
        try:
            consume("idle", rate, clock)
        except RateLimited:
            refused.append(1)

    threads = [threading.Thread(target=worker) for _ in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert refused == []


def test_available_counts_what_the_bucket_would_admit(table: None) -> None:
    from chalicelib.ratelimit import available

    clock = Clock()
    rate = Rate(count=60, period_s=60, burst=5)
    assert available("a", rate, clock) == 5  # a new bucket is full
    for expected in (4, 3, 2, 1, 0):
        consume("a", rate, clock)
        assert available("a", rate, clock) == expected
    clock.now += 2000  # two intervals refill two
    assert available("a", rate, clock) == 2
    consume("a", rate, clock)
    consume("a", rate, clock)
    with pytest.raises(RateLimited):
        consume("a", rate, clock)  # what it said is what it admitted
    clock.now += 60_000
    assert available("a", rate, clock) == 5
