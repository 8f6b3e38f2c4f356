"""Recent wrong admin-token attempts per client address, for the admin check's lockout."""
from __future__ import annotations

import threading
import time
from collections import deque

MAX_FAILURES = 10
WINDOW_SECONDS = 60.0
MAX_ADDRESSES = 10_000  # addresses remembered; the oldest are forgotten first


class FailedAttempts:
    """Recent wrong-token attempts per client address (a sliding window)."""

    def __init__(self, limit: int = MAX_FAILURES, window: float = WINDOW_SECONDS) -> None:
        self.limit, self.window = limit, window
        self._seen: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def retry_after(self, address: str, now: float | None = None) -> float:
        """Seconds until ``address`` may try again (0: it may now)."""
        now = time.monotonic() if now is None else now
        with self._lock:
            if address not in self._seen:  # most callers never sent a wrong token: remember nothing
                return 0.0
            times = self._recent(address, now)
            return times[0] + self.window - now if len(times) >= self.limit else 0.0

    def record(self, address: str, now: float | None = None) -> None:
        now = time.monotonic() if now is None else now
        with self._lock:
            self._recent(address, now).append(now)
            if len(self._seen) > MAX_ADDRESSES:
                self._seen.pop(next(iter(self._seen)))

    def _recent(self, address: str, now: float) -> deque[float]:
        times = self._seen.setdefault(address, deque())
        while times and times[0] <= now - self.window:
            times.popleft()
        return times
