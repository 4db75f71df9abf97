"""The weekly nudges and release approval at awkward instants: before the check-in hour on a Monday, late on a
Sunday, across both DST changes and on New Year's Eve. The bot's clock starts at the instant and the scheduler
is replayed hour by hour, so a rule that reads the wall clock, or confuses local and UTC dates, shows here."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import Session, select

from bot.app import sweep_approvals
from bot.slack import nudge_sender
from bot.slack.ids import Action
from storage.models import ReleaseRequest, RequestStatus, as_utc
from tests.review_driver import BUSINESS, complete_by_area, request_release

NEW_YORK = ZoneInfo("America/New_York")
INSTANTS = {
    "monday-before-checkin-hour": datetime(2026, 6, 8, 1, 30, tzinfo=NEW_YORK),
    "sunday-late": datetime(2026, 6, 7, 23, 30, tzinfo=NEW_YORK),
    "spring-forward": datetime(2026, 3, 8, 1, 30, tzinfo=NEW_YORK),
    "fall-back": datetime(2026, 11, 1, 1, 30, tzinfo=NEW_YORK),
    "new-years-eve": datetime(2026, 12, 31, 23, 30, tzinfo=NEW_YORK),
}


@pytest.fixture(params=list(INSTANTS), ids=list(INSTANTS))
def instant(request, clock):
    """The bot's clock at one of the instants, given in UTC (so adding hours adds real hours)."""
    clock.set(INSTANTS[request.param])
    return clock.now()


def first_checkin_after(moment: datetime) -> datetime:
    """The first Monday 10:00 in New York on a later date than the moment's (the week created in is asked about)."""
    day = moment.astimezone(NEW_YORK).date() + timedelta(days=1)
    day += timedelta(days=(7 - day.weekday()) % 7)
    return datetime(day.year, day.month, day.day, 10, tzinfo=NEW_YORK)


def replay(bot, start: datetime, days: int) -> list[tuple[datetime, str]]:
    """Run the scheduler every hour (in UTC) for `days` days from `start`; what it sent, with when."""
    sent = []
    step = start.replace(minute=5, second=0, microsecond=0) + timedelta(hours=1)
    for _ in range(days * 24):
        bot.clock.set(step)
        lines = nudge_sender.run(bot.app.client, bot.services) + sweep_approvals.run(
            bot.app.client, bot.services)
        sent += [(step, line) for line in lines]
        step += timedelta(hours=1)
    return sent


def test_checkins_reminders_and_digests_at_the_owners_hour_from_any_instant(bot, fake_slack, framework, instant):
    fake_slack.timezones[BUSINESS] = "America/New_York"
    complete_by_area(bot, framework, tier="low")
    sent = replay(bot, instant, days=16)
    checkins = [(at, line) for at, line in sent if line.startswith("checkin")]
    first = first_checkin_after(instant)
    mondays = [first + timedelta(weeks=n) for n in range(3) if first + timedelta(weeks=n) < sent[-1][0]]
    assert [at.astimezone(NEW_YORK).date() for at, _ in checkins] == [m.date() for m in mondays]
    assert all(at.astimezone(NEW_YORK).hour == 10 for at, _ in checkins), "at the owner's check-in hour"
    week = next(p for p in bot.fake.posts(channel="D200") if p.get("blocks"))
    button = next(b for b in week["blocks"] if b.get("block_id") == "checkin")["elements"][0]
    assert button["value"].endswith((first - timedelta(days=7)).date().isoformat()), "the week created in"
    reminders = [at for at, line in sent if line.startswith("reminder")]
    assert [r - c for r, (c, _) in zip(reminders, checkins)] == [timedelta(days=1)] * len(reminders)
    assert len(reminders) >= len(checkins) - 1, "each check-in not reported is reminded a day later"


def test_a_report_stops_the_reminder_and_the_digest_follows_a_day_after_the_checkin(bot, fake_slack, framework,
                                                                                     instant):
    fake_slack.timezones[BUSINESS] = "America/New_York"
    complete_by_area(bot, framework, tier="low")
    first = first_checkin_after(instant)
    sent = replay(bot, instant, days=(first - instant).days + 1)
    [checkin] = [p for p in bot.fake.posts(channel="D200") if p.get("blocks")]
    button = next(b for b in checkin["blocks"] if b.get("block_id") == "checkin")["elements"][0]
    bot.slack.click(Action.REPORT_WEEK, button["value"], user=BUSINESS)
    bot.idle()
    modal = bot.fake.calls_to("views.open")[-1].params["view"]
    numbers = {"active_users": "40", "repeat_users": "25", "hours_saved": "12.5", "feedback_count": "7",
               "escalations": "1", "incidents": "0"}
    values = {name: {"type": "number_input", "value": value} for name, value in numbers.items()}
    assert bot.slack.submit_view(modal, values, user=BUSINESS).status == 200
    bot.idle()
    sent += replay(bot, bot.clock.now(), days=2)
    assert not [line for _, line in sent if line.startswith("reminder")]
    [(at, _)] = [(at, line) for at, line in sent if line.startswith("digest")]
    assert first + timedelta(days=1) <= at < first + timedelta(days=1, hours=1)


def test_a_release_request_is_reminded_once_then_expires_from_any_instant(bot, framework, instant):
    complete_by_area(bot, framework, tier="low")
    request_id = request_release(bot, framework, tier="low")
    policy = bot.services.policy.for_tier("low")
    with Session(bot.engine) as session:
        request = session.exec(select(ReleaseRequest)).one()
    assert as_utc(request.created_at) == instant and as_utc(request.expires_at) == instant + timedelta(
        hours=policy.open_for_hours), "stamped by the bot's clock, not the wall clock"
    sent = replay(bot, instant, days=policy.open_for_hours // 24 + 1)
    swept = [(at, line) for at, line in sent if "release request" in line]
    expires = as_utc(request.expires_at)
    assert [line.split(":")[0] for _, line in swept] == ["reminded", "expired"]
    assert expires - timedelta(hours=policy.remind_hours_before) <= swept[0][0] < expires
    assert expires <= swept[1][0] < expires + timedelta(hours=1)
    with Session(bot.engine) as session:
        assert session.get(ReleaseRequest, request_id).status == RequestStatus.EXPIRED


def test_the_go_live_date_may_be_today_wherever_the_team_is(bot, instant):
    from tests.review_driver import ReviewDriver

    today_in_new_york: date = instant.astimezone(NEW_YORK).date()
    ReviewDriver(bot).start("Invoice assistant", tier="low", go_live=today_in_new_york.isoformat())
