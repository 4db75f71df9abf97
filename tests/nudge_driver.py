"""Drives the weekly run the way the scheduler does, at instants relative to the tests' start, and reads its DMs."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from bot.slack import nudge_sender
from tests.conftest import START

NEW_YORK = ZoneInfo("America/New_York")


def monday(hour: int, minute: int = 5, *, weeks: int = 1) -> datetime:
    """A Monday at this New York time, `weeks` Mondays after the test's start (a Wednesday)."""
    start = START.astimezone(NEW_YORK).date()
    day = start + timedelta(days=(7 - start.weekday()) % 7 or 7) + timedelta(weeks=weeks - 1)
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=NEW_YORK)


def run(bot, at: datetime) -> list[str]:
    """The weekly run, as the scheduler would do it at that instant."""
    bot.clock.set(at)
    return nudge_sender.run(bot.app.client, bot.services)


def dms_to(bot, user: str) -> list[dict]:
    channel = "D" + user.lstrip("UW")
    return bot.fake.posts(channel=channel)
