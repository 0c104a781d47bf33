"""The one way anything here retries: a bounded number of attempts within a time budget, with
full-jitter exponential backoff between them. Every retrying loop names its policy.

    attempts = Attempts(policy)
    for attempt in attempts:
        try:
            return do()
        except Transient:
            attempts.pause()  # raises Exhausted when a bound would be passed
    # (the loop also ends with Exhausted when attempts_max is spent)
"""

import random
import time
from collections.abc import Iterator
from dataclasses import dataclass


@dataclass(frozen=True)
class Policy:
    attempts_max: int
    budget_ms: float  # wall-clock time from the first attempt within which every retry must start
    backoff_base_ms: float  # the first pause is up to this long, doubling each time…
    backoff_cap_ms: float  # …up to this

    def __post_init__(self) -> None:
        # A bound of zero or less would make a loop that never runs or never pauses, and a cap under
        # the base would silently shrink every pause: mistakes in the policy, refused where it is built.
        assert self.attempts_max > 0, f"attempts_max must be positive, not {self.attempts_max}"
        assert self.budget_ms > 0, f"budget_ms must be positive, not {self.budget_ms}"
        assert self.backoff_base_ms > 0, f"backoff_base_ms must be positive, not {self.backoff_base_ms}"
        assert self.backoff_base_ms <= self.backoff_cap_ms, (
            f"backoff_base_ms ({self.backoff_base_ms}) must not exceed backoff_cap_ms ({self.backoff_cap_ms})")


class Exhausted(Exception):
    """The policy's attempts or time budget are spent."""


class Attempts:
    def __init__(self, policy: Policy) -> None:
        self.policy = policy
        self.started = time.monotonic()
        self.attempt = 0

    def __iter__(self) -> Iterator[int]:
        for attempt in range(self.policy.attempts_max):
            self.attempt = attempt
            yield attempt
        raise Exhausted(f"{self.policy.attempts_max} attempts spent")

    @property
    def elapsed_ms(self) -> float:
        return (time.monotonic() - self.started) * 1000

    def pause(self) -> None:
        """Sleep a full-jitter backoff before the next attempt, longer the later the attempt."""
        cap = min(self.policy.backoff_cap_ms, self.policy.backoff_base_ms * 2 ** min(self.attempt, 30))
        delay_ms = random.uniform(0, cap)
        if self.elapsed_ms + delay_ms > self.policy.budget_ms:
            raise Exhausted(f"time budget of {self.policy.budget_ms} ms spent")
        time.sleep(delay_ms / 1000)

    def jitter(self, up_to_ms: float) -> None:
        """A short pause that does not grow the backoff (to spread writers that lost together)."""
        time.sleep(random.uniform(0, up_to_ms) / 1000)
