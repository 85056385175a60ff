"""The quota API other modules call: reserve / consume / release and the gates."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from tests.billing.fixtures import atomic_dynamodb  # noqa: F401  (fixture)


def test_reserve_consume_release_keep_the_sums(aws: None) -> None:
    from chalicelib.billing import quota

    quota.reserve("usr_a", 30, "launch-1")
    quota.consume("usr_a", 20)
    quota.release("usr_a", 10)
    account = quota.get_account("usr_a")
    assert (account.quota, account.used, account.reserved, account.available) == (100, 20, 0, 80)


def test_reserve_is_idempotent_per_token(aws: None) -> None:
    from chalicelib.billing import quota

    first = quota.reserve("usr_a", 10, "launch-1")
    again = quota.reserve("usr_a", 10, "launch-1")
    assert not first.duplicate and again.duplicate and again.count == 10
    assert quota.get_account("usr_a").reserved == 10
    # The token is per user: another user's identical token is theirs alone.
    assert not quota.reserve("usr_b", 5, "launch-1").duplicate
    assert quota.get_account("usr_a").reserved == 10


def test_over_quota_says_by_how_much(aws: None) -> None:
    from chalicelib.billing import quota
    from chalicelib.billing.errors import QuotaExceeded

    quota.reserve("usr_a", 60, "t1")
    with pytest.raises(QuotaExceeded) as caught:
        quota.reserve("usr_a", 45, "t2")
    error = caught.value
    assert error.status == 409 and error.code == "quota_exceeded"
    assert error.details["over_by"] == 5 and error.details["remaining"] == 40
    assert "5 over" in error.message
    # Nothing was held, and the failed token can be retried once there is room.
    assert quota.get_account("usr_a").reserved == 60
    quota.release("usr_a", 60)
    assert not quota.reserve("usr_a", 45, "t2").duplicate


def test_consume_more_than_reserved_is_refused(aws: None) -> None:
    from chalicelib.billing import quota
    from chalicelib.billing.errors import ReservationMissing

    quota.reserve("usr_a", 3, "t1")
    with pytest.raises(ReservationMissing):
        quota.consume("usr_a", 4)
    with pytest.raises(ReservationMissing):
        quota.release("usr_a", 4)
    assert quota.get_account("usr_a").reserved == 3


def test_bad_arguments_are_validation_errors(aws: None) -> None:
    from chalicelib.billing import quota
    from chalicelib.errors import ValidationFailed

    with pytest.raises(ValidationFailed):
        quota.reserve("usr_a", 0, "t")
    with pytest.raises(ValidationFailed):
        quota.reserve("usr_a", 1, "")


@pytest.mark.usefixtures("atomic_dynamodb")
def test_concurrent_reservations_never_over_reserve(aws: None) -> None:
    from chalicelib.billing import quota
    from chalicelib.billing.errors import QuotaExceeded

    quota.get_account("usr_race")  # 100 messages
    results: list[Any] = []
    lock = threading.Lock()
    start = threading.Barrier(24)

    def worker(i: int) -> None:
        start.wait()
        try:
            outcome: Any = quota.reserve("usr_race", 7, f"launch-{i % 20}")
        except QuotaExceeded as error:
            outcome = error
        with lock:
            results.append(outcome)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(24)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert len(results) == 24
    fresh = [r for r in results if not isinstance(r, QuotaExceeded) and not r.duplicate]
    account = quota.get_account("usr_race")
    assert len(fresh) == 14  # 14 * 7 = 98 <= 100 < 105
    assert account.reserved == 98 and account.available == 2
    assert account.used + account.reserved + account.available == account.quota


def test_free_period_rolls_and_reservations_carry_over(aws: None) -> None:
    from chalicelib.billing import quota

    account = quota.get_account("usr_a")
    quota.reserve("usr_a", 50, "t1")
    quota.consume("usr_a", 30)
    later = int(account.period_end) + 31 * 86_400_000  # two periods on (ms)
    rolled = quota.get_account("usr_a", now=later)
    assert rolled.period_start == int(account.period_end) + 30 * 86_400_000
    assert rolled.period_start <= later < rolled.period_end
    assert (rolled.used, rolled.reserved, rolled.available) == (0, 20, 80)


def test_session_limit_follows_the_plan(aws: None) -> None:
    from chalicelib.billing import quota
    from chalicelib.billing.errors import PlanLimitReached

    quota.check_session_allowed("usr_a", 0)
    with pytest.raises(PlanLimitReached) as caught:
        quota.check_session_allowed("usr_a", 1)
    assert caught.value.status == 409 and caught.value.details["allowed"] == 1


def test_unknown_user_may_send(aws: None) -> None:
    from chalicelib.billing import quota

    assert quota.sending_allowed("usr_never_seen") == (True, None)


def test_granted_plan_without_stripe(aws: None) -> None:
    from chalicelib.billing import accounts, quota

    quota.reserve("usr_a", 40, "t1")
    accounts.grant_plan("usr_a", "starter")
    account = quota.get_account("usr_a")
    assert (account.quota, account.reserved, account.available) == (5_000, 40, 4_960)
    quota.check_session_allowed("usr_a", 2)
    # Its periods roll like the free plan's.
    rolled = quota.get_account("usr_a", now=int(account.period_end) + 1)
    assert rolled.plan == "starter" and rolled.period_start == account.period_end
