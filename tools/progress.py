"""Progress of a long command (`make bench`, `make reliability`, `make verify`): one line on stderr,
rewritten in place, on a terminal only. In CI, or when stderr is a file or a pipe, nothing is written,
so logs stay as they were."""

from __future__ import annotations

import os
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TextIO

REDRAW_INTERVAL_S = 0.2  # at most five redraws a second


def enabled(stream: TextIO) -> bool:
    return stream.isatty() and not os.environ.get("CI")


class Progress:
    def __init__(self, label: str, total: int | None = None, stream: TextIO | None = None) -> None:
        self.label, self.total = label, total
        self.stream = stream if stream is not None else sys.stderr
        self.on = enabled(self.stream)
        self.drawn_at = 0.0
        self.width = 0

    def update(self, done: int, note: str = "", force: bool = False) -> None:
        now = time.monotonic()
        if not self.on or (not force and now - self.drawn_at < REDRAW_INTERVAL_S):
            return
        self.drawn_at = now
        count = f"{done}/{self.total}" if self.total is not None else str(done)
        line = f"{self.label}: {count} {note}".rstrip()
        self.stream.write("\r" + line.ljust(self.width))
        self.stream.flush()
        self.width = len(line)

    def close(self) -> None:
        if self.on and self.width:
            self.stream.write("\r" + " " * self.width + "\r")  # the results are printed after
            self.stream.flush()


@contextmanager
def elapsed(label: str, seconds_total: float, stream: TextIO | None = None) -> Iterator[Progress]:
    """Seconds elapsed of `seconds_total`, redrawn every second from a background thread."""
    progress = Progress(label, int(seconds_total), stream)
    started, stop = time.monotonic(), threading.Event()

    def tick() -> None:
        while not stop.wait(1.0):
            progress.update(int(time.monotonic() - started), "s", force=True)

    ticker = threading.Thread(target=tick, daemon=True)
    if progress.on:
        ticker.start()
    try:
        yield progress
    finally:
        stop.set()
        progress.close()
