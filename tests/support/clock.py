"""A clock that moves only when a test moves it (throttle buckets, the authorizer's result cache)."""


class FrozenClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now
