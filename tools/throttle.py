"""API Gateway's throttling for the local run: token buckets (rate per second, burst) for the whole
stage and for each usage plan, as template.yaml sets them, shared by the local server's forked workers.

A request takes one token from the stage's bucket before the authorizer runs, then one from its usage
plan's bucket (the key the authorizer named); an empty bucket is API Gateway's THROTTLED answer.
"""

from __future__ import annotations

import multiprocessing
import time
from collections.abc import Callable

from tools import template


class Buckets:
    def __init__(self, limits: dict[str, tuple[float, int]], clock: Callable[[], float] = time.monotonic) -> None:
        self.index = {name: i for i, name in enumerate(limits)}
        self.limits = list(limits.values())
        self.clock = clock
        # Shared memory (tokens, last refill) per bucket, inherited by forked workers, and one lock.
        self.state = multiprocessing.RawArray("d", [v for _, burst in self.limits for v in (float(burst), clock())])
        self.lock = multiprocessing.Lock()

    def take(self, name: str) -> bool:
        """One token from bucket `name` if it has one (a bucket not configured never throttles)."""
        i = self.index.get(name)
        if i is None:
            return True
        rate, burst = self.limits[i]
        with self.lock:
            now = self.clock()
            tokens = min(float(burst), self.state[2 * i] + (now - self.state[2 * i + 1]) * rate)
            self.state[2 * i + 1] = now
            if tokens < 1:
                self.state[2 * i] = tokens
                return False
            self.state[2 * i] = tokens - 1
            return True


STAGE = "stage"


def from_template(clock: Callable[[], float] = time.monotonic) -> Buckets:
    limits = template.throttles()
    return Buckets({**({STAGE: limits.stage} if limits.stage else {}), **limits.plans}, clock)
