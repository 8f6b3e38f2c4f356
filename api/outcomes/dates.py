"""The days an outcome report covers: query dates in, epoch seconds and ISO dates out (UTC)."""
from __future__ import annotations

import time
from collections.abc import Iterable
from datetime import date, datetime, timedelta, timezone

from api.errors import bad_request

DEFAULT_DAYS = 30
MAX_DAYS = 3660
EPOCH = date(1970, 1, 1)


def report_dates(first: str | None, last: str | None) -> tuple[date, date]:
    today = datetime.fromtimestamp(time.time(), timezone.utc).date()
    end = _date(last, "to") if last else today
    start = _date(first, "from") if first else end - timedelta(days=DEFAULT_DAYS - 1)
    if start > end:
        raise bad_request("from must not be after to", "from")
    if (end - start).days >= MAX_DAYS:
        raise bad_request(f"a report covers at most {MAX_DAYS} days", "from")
    return start, end


def _date(text: str, name: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise bad_request(f"{name} must be a date such as 2026-11-27", name) from None


def epoch(day: date) -> float:
    return datetime(day.year, day.month, day.day, tzinfo=timezone.utc).timestamp()


def day_text(day_numbers: Iterable[int]) -> list[str]:
    """Days since the epoch as ISO dates."""
    return [(EPOCH + timedelta(days=int(d))).isoformat() for d in day_numbers]
