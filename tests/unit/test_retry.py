"""A retry policy's bounds are sound, or it is refused where it is written: every bound is positive and
the first pause is no longer than the longest."""

import pytest

from ledger import retry

SOUND = {"attempts_max": 4, "budget_ms": 1_000, "backoff_base_ms": 10, "backoff_cap_ms": 100}


@pytest.mark.parametrize("bound", sorted(SOUND))
@pytest.mark.parametrize("value", [0, -1])
def test_a_bound_that_is_not_positive_is_refused(bound, value):
    with pytest.raises(AssertionError, match=bound):
        retry.Policy(**{**SOUND, bound: value})


def test_a_cap_under_the_base_is_refused():
    with pytest.raises(AssertionError, match="backoff_cap_ms"):
        retry.Policy(**{**SOUND, "backoff_base_ms": 101})


def test_sound_bounds_are_accepted_and_the_base_may_equal_the_cap():
    policy = retry.Policy(**{**SOUND, "backoff_base_ms": SOUND["backoff_cap_ms"]})
    assert policy.backoff_base_ms == policy.backoff_cap_ms

