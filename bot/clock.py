"""The one clock: every "now" in the app comes from here, injected, so any instant can be replayed."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


class Clock(Protocol):
    def now(self) -> datetime:
        """The current instant, timezone-aware (UTC)."""


class SystemClock:
    """The real time."""

    def now(self) -> datetime:
        return datetime.now(UTC)


class FixedClock:
    """A clock that shows one instant until moved: `readiness-bot nudge --at`, and tests."""

    def __init__(self, moment: datetime) -> None:
        self.set(moment)

    def now(self) -> datetime:
        return self._moment

    def set(self, moment: datetime) -> None:
        if moment.tzinfo is None:
            raise ValueError("a clock's instant needs a timezone")
        self._moment = moment.astimezone(UTC)

    def advance(self, delta: timedelta) -> None:
        self._moment += delta


def zone(name: str | None) -> ZoneInfo:
    """A timezone by its IANA name; UTC when unknown or unset."""
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def earliest_date(moment: datetime) -> date:
    """The date in the last timezone to reach it (UTC-12): no one anywhere is still on an earlier day."""
    return (moment.astimezone(UTC) - timedelta(hours=12)).date()
