"""The clock every timestamp comes from, injectable so tests can move time."""

import time
from collections.abc import Callable

_source: Callable[[], float] = time.time


def now() -> int:
    """UTC unix seconds."""
    return int(_source())


def use(source: Callable[[], float]) -> None:
    """Replace the time source (tests); `use(time.time)` restores the real one."""
    global _source
    _source = source
