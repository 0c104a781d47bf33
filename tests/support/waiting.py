"""Waiting as a client on AWS must for what is eventually consistent (the customer indexes)."""

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")
WAIT_MAX_S = 10.0


def eventually(read: Callable[[], T], done: Callable[[T], bool], wait_max_s: float = WAIT_MAX_S) -> T:
    """`read()` again until `done` holds for its result (or the wait is over); the last result."""
    deadline = time.monotonic() + wait_max_s
    while True:
        result = read()
        if done(result) or time.monotonic() > deadline:
            return result
        time.sleep(0.05)
