"""A limit on failures: counted when one happens, checked without counting before each try."""

from __future__ import annotations

import uuid

import time_machine

from core.rate_limit import rate_limit_count, rate_limit_reached_retry_after


def test_a_limit_checked_without_counting_is_reached_only_by_the_events_counted() -> None:
    key = f"test-failures:{uuid.uuid4()}"

    checks = [rate_limit_reached_retry_after(key, limit=2) for _ in range(5)]
    rate_limit_count(key)
    after_one = rate_limit_reached_retry_after(key, limit=2)
    rate_limit_count(key)
    after_two = rate_limit_reached_retry_after(key, limit=2)

    assert checks == [None] * 5
    assert after_one is None
    assert after_two is not None
    assert 1 <= after_two <= 60


def test_a_reached_limit_says_how_long_until_its_window_ends_and_then_lifts() -> None:
    key = f"test-failures:{uuid.uuid4()}"
    with time_machine.travel(1_800_000_015, tick=False):
        rate_limit_count(key)
        retry_after = rate_limit_reached_retry_after(key, limit=1)
    with time_machine.travel(1_800_000_060, tick=False):
        next_window = rate_limit_reached_retry_after(key, limit=1)

    assert retry_after == 45
    assert next_window is None
