"""Time as the service keeps it: UTC in the store, Beijing time on paper and on screen.

China has one time zone and no daylight saving, so a fixed UTC+8 offset is exact and
needs no tz database.
"""
from __future__ import annotations

import datetime as dt

SHANGHAI = dt.timezone(dt.timedelta(hours=8), "Asia/Shanghai")


def utcnow() -> dt.datetime:
    """Now in UTC, to the second (what records and audit entries store)."""
    return dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
