"""API Gateway's throttling for the local run: token buckets (rate per second, burst) for each usage
plan and for each method of the stage, as template.yaml sets them, shared by the local server's forked
workers.

In AWS's order: once the authorizer has named a request's usage plan key, the request takes one token
from that plan's bucket, then one from its method's bucket (the stage's "/*" MethodSettings give every
method a bucket of its own, not one shared by all). A request refused before that (no key, a denied
key, an unknown route) takes no token, so it cannot use up another caller's allowance. An empty bucket
is API Gateway's THROTTLED answer.
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


def method_bucket(method: str, resource_path: str) -> str:
    """The name of one method's bucket (usage plan keys never contain a space, so names never clash)."""
    return f"{method} {resource_path}"


def from_template(clock: Callable[[], float] = time.monotonic) -> Buckets:
    limits = template.throttles()
    methods = ({method_bucket(r.method, r.path): limits.stage for r in template.routes()} if limits.stage
               else {})
    return Buckets({**limits.plans, **methods}, clock)
