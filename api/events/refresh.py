"""A value read from the event store per served version, reused for ``interval`` seconds.

Only the first ask for a version waits for the store; after that a stale value is answered while a
background thread reads the next one (an ``interval`` of 0 means always read now). Live segments
and today's popularity both work this way, so a request never waits for an aggregate query.
"""
from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Generic, TypeVar

from api.serving.model_store import Served

T = TypeVar("T")


class PerVersion(Generic[T]):
    def __init__(self, read: Callable[[Served, T | None], T], interval: float, name: str) -> None:
        """``read(served, previous)`` makes the value; ``previous`` is the last one for that version."""
        self._read = read
        self.interval = interval
        self._name = name
        self._value: tuple[str, float, T] | None = None  # (version, read at, value)
        self._lock = threading.Lock()

    def get(self, served: Served) -> T:
        value = self._value
        if value is None or value[0] != served.name or self.interval == 0:
            with self._lock:
                return self._refresh(served)
        if time.monotonic() >= value[1] + self.interval and self._lock.acquire(blocking=False):
            threading.Thread(target=self._refresh_and_release, args=(served,), name=self._name, daemon=True).start()
        return value[2]

    def read_at(self, served: Served) -> float:
        """When the value ``get`` answers for ``served`` was read (monotonic seconds)."""
        self.get(served)
        return self._value[1]

    def forget(self) -> None:
        self._value = None

    def _refresh_and_release(self, served: Served) -> None:
        try:
            self._refresh(served)
        finally:
            self._lock.release()

    def _refresh(self, served: Served) -> T:
        previous = self._value[2] if self._value is not None and self._value[0] == served.name else None
        value = self._read(served, previous)
        self._value = (served.name, time.monotonic(), value)
        return value
