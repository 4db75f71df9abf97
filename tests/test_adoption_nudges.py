"""Weekly adoption: check-ins at the owner's local time, the report form, reminders, snooze, digests with
a chart, nudges for what went stale, and each nudge sent once (two processes and a crash included)."""

import os
import signal
import subprocess
import sys
import threading
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import Session, select

from bot.app.sweep_approvals import run as run_sweep
from bot.domain import adoption, nudges
from bot.domain.initiatives import create_initiative, retire
from bot.domain.nudges import Kind, snooze_until
from bot.slack.ids import Action
from storage.models import (
    Initiative,
    InitiativeCreate,
    NudgeLog,
    NudgeStatus,
    Review,
    Scorecard,
    Waiver,
)
from storage.outbox import LEASE
from tests.conftest import RunningBot
from tests.nudge_driver import NEW_YORK, dms_to, monday, run
from tests.review_driver import ReviewDriver
from tests.slack_requests import CHANNEL, fixture

CLI = os.path.join(os.path.dirname(sys.executable), "readiness-bot")


def weekly(lines: list[str]) -> list[str]:
    """The check-in, reminder and digest lines of a run (without the stale nudges a new review also gets)."""
    return [line for line in lines if line.startswith((Kind.CHECKIN, Kind.REMINDER, Kind.DIGEST))]


def add_initiative(bot, name: str, owner: str, *, channel: str = CHANNEL, go_live: date | None = None) -> int:
    form = InitiativeCreate(team_id="T111", created_by="U100", name=name, purpose="Helps", business_owner_id=owner,
                            technical_owner_id="U300", risk_tier="low", channel_id=channel, go_live_date=go_live)
    with bot.services.session() as session:
        return create_initiative(form, session=session, framework=bot.services.framework, now=bot.clock.now())[0].id


def report(bot, initiative_id: int, week: date, **numbers):
    values = {"active_users": "40", "repeat_users": "25", "hours_saved": "12.5", "feedback_count": "7",
              "escalations": "1", "incidents": "0", "top_themes": "Wants SAP links", "note": "", **numbers}
    with bot.services.session() as session:
        adoption.record(initiative_id, week, adoption.ScorecardInput(**values), user_id="U200", session=session)


def keys(bot) -> list[str]:
    with Session(bot.engine) as session:
        return sorted(session.exec(select(NudgeLog.key)).all())


def test_checkin_goes_to_the_business_owner_at_their_local_time_once(bot, owners_in_new_york):
    initiative_id = add_initiative(bot, "Invoice assistant", "U200")
    assert run(bot, monday(9, 55)) == []
    sent = run(bot, monday(10, 5))
    assert sent == ["checkin to U200 for Invoice assistant"]
    [dm] = dms_to(bot, "U200")
    assert "Invoice assistant" in dm["text"]
    actions = next(b for b in dm["blocks"] if b.get("block_id") == "checkin")["elements"]
    assert actions[0]["action_id"] == Action.REPORT_WEEK
    week = (monday(10) - timedelta(days=7)).date()
    assert actions[0]["value"] == f"{initiative_id}:{week.isoformat()}"
    assert run(bot, monday(10, 30)) == [], "sent once per initiative and week"


def test_report_form_validates_numbers_and_shows_the_review_baseline(bot, owners_in_new_york):
    driver = ReviewDriver(bot)
    thread = driver.start("Invoice assistant")
    with Session(bot.engine) as session:
        initiative = session.exec(select(Initiative)).one()
    run(bot, monday(10, 5))
    button = next(b for b in dms_to(bot, "U200")[-1]["blocks"] if b.get("block_id") == "checkin")["elements"][0]
    bot.slack.click(Action.REPORT_WEEK, button["value"], user="U200")
    bot.idle()
    modal = bot.fake.calls_to("views.open")[-1].params["view"]
    shown = str(modal["blocks"])
    assert "Baseline before the AI" in shown and "Success criteria" in shown
    good = {"active_users": "40", "repeat_users": "25", "hours_saved": "12.5", "feedback_count": "7",
            "escalations": "1", "incidents": "0"}

    def submit(**changes):
        values = {k: {"type": "number_input", "value": v} for k, v in {**good, **changes}.items()}
        return bot.slack.submit_view(modal, values, user="U200")

    errors = submit(active_users="-3", repeat_users="50", incidents="2.5").json()["errors"]
    assert set(errors) == {"active_users", "incidents"} and "Between 0" in errors["active_users"]
    assert "more than active users" in submit(repeat_users="50").json()["errors"]["repeat_users"]
    assert "hours saved" in submit(hours_saved="").json()["errors"]["hours_saved"]
    assert submit().status == 200
    bot.idle()
    with Session(bot.engine) as session:
        card = session.exec(select(Scorecard)).one()
    assert (card.initiative_id, card.active_users, card.hours_saved) == (initiative.id, 40, 12.5)
    assert bot.fake.posts(channel="U200")[-1]["text"].startswith("Thanks: saved Invoice assistant")
    assert thread


def test_a_reported_checkin_shows_who_reported_it_instead_of_its_buttons(bot, owners_in_new_york):
    add_initiative(bot, "Invoice assistant", "U200")
    run(bot, monday(10, 5))
    [dm] = dms_to(bot, "U200")
    button = next(b for b in dm["blocks"] if b.get("block_id") == "checkin")["elements"][0]
    bot.slack.click(Action.REPORT_WEEK, button["value"], user="U200", channel=dm["channel"], message_ts=dm["ts"])
    bot.idle()
    modal = bot.fake.calls_to("views.open")[-1].params["view"]
    numbers = {"active_users": "40", "repeat_users": "25", "hours_saved": "12.5", "feedback_count": "7",
               "escalations": "1", "incidents": "0"}
    invalid = bot.slack.submit_view(modal, {"active_users": {"type": "number_input", "value": "-1"}}, user="U200")
    assert "errors" in invalid.json() and not bot.fake.calls_to("chat.update"), "nothing reported yet"
    values = {k: {"type": "number_input", "value": v} for k, v in numbers.items()}
    assert bot.slack.submit_view(modal, values, user="U200").status == 200
    bot.idle()
    [update] = [c.params for c in bot.fake.calls_to("chat.update")]
    assert (update["channel"], update["ts"]) == (dm["channel"], dm["ts"])
    assert "Reported by <@U200>" in update["text"] and "Invoice assistant" in update["text"]
    assert not [b for b in update["blocks"] if b["type"] == "actions"], "its buttons are gone"


def test_one_reminder_the_next_day_only_to_owners_who_have_not_reported(bot, owners_in_new_york):
    quiet = add_initiative(bot, "Quiet pilot", "U201")
    busy = add_initiative(bot, "Busy pilot", "U202")
    run(bot, monday(10, 5))
    report(bot, busy, (monday(10) - timedelta(days=7)).date())
    tuesday = monday(10, 5) + timedelta(days=1)
    sent = run(bot, tuesday)
    assert "reminder to U201 for Quiet pilot" in sent
    assert not any(line.startswith("reminder to U202") for line in sent)
    later = run(bot, tuesday + timedelta(days=2))
    assert not [line for line in later if line.startswith(("checkin", "reminder"))], "then no more that week"
    assert quiet


def test_snoozed_and_retired_initiatives_are_not_nudged(bot, owners_in_new_york):
    snoozed = add_initiative(bot, "Snoozed pilot", "U201")
    add_initiative(bot, "Retired pilot", "U202")
    run(bot, monday(10, 5))
    button = next(b for b in dms_to(bot, "U201")[-1]["blocks"] if b.get("block_id") == "checkin")["elements"][1]
    bot.slack.click(Action.SNOOZE_WEEK, button["value"], user="U201")
    bot.idle()  # its reply first, then the refusal below
    bot.slack.command("retire Retired pilot", user="U100")  # in the channel, not an owner
    bot.idle()
    assert "Only the owners" in bot.fake.responses()[-1]["text"]
    bot.slack.command("retire Retired pilot", user="U202")
    bot.idle()
    assert (during := run(bot, monday(10, 5, weeks=2))) == [], during
    with Session(bot.engine) as session:
        until = session.get(Initiative, snoozed).snoozed_until
    later = datetime(until.year, until.month, until.day, 10, 5, tzinfo=NEW_YORK) + timedelta(days=7)
    later -= timedelta(days=later.weekday())
    after_snooze = run(bot, later)
    assert "checkin to U201 for Snoozed pilot" in after_snooze
    assert not any("Retired pilot" in line for line in after_snooze), "a retired initiative is never nudged"


def test_snooze_until_a_date_from_the_checkin(bot, owners_in_new_york):
    initiative_id = add_initiative(bot, "Invoice assistant", "U200")
    run(bot, monday(10, 5))
    dm = dms_to(bot, "U200")[-1]
    payload_value = next(b for b in dm["blocks"] if b.get("block_id") == "checkin")["elements"][0]["value"]
    until = (monday(10) + timedelta(days=30)).date()
    payload = fixture("block_actions_button.json")
    payload["user"]["id"] = "U200"
    payload["response_url"] = bot.fake.root + "/hooks/actions/x"
    payload["message"]["blocks"] = dm["blocks"]
    payload["actions"] = [{"type": "datepicker", "action_id": Action.SNOOZE_UNTIL, "block_id": "checkin",
                           "selected_date": until.isoformat(), "action_ts": "1"}]
    assert bot.slack.interactive(payload).status == 200
    bot.idle()
    with Session(bot.engine) as session:
        assert session.get(Initiative, initiative_id).snoozed_until == until
    assert payload_value and f"through {until.isoformat()}" in bot.fake.responses()[-1]["text"]


def test_weekly_digest_shows_changes_and_uploads_a_twelve_week_chart_with_gaps(bot, owners_in_new_york):
    initiative_id = add_initiative(bot, "Invoice assistant", "U200")
    week = (monday(10) - timedelta(days=7)).date()
    report(bot, initiative_id, week - timedelta(weeks=3), active_users="10", repeat_users="4", hours_saved="2")
    report(bot, initiative_id, week - timedelta(weeks=1), active_users="30", repeat_users="20")
    report(bot, initiative_id, week, active_users="38", repeat_users="20")
    report(bot, initiative_id, week, active_users="42", repeat_users="21")  # sent again: replaces the week
    run(bot, monday(10, 5))
    run(bot, monday(10, 5) + timedelta(days=1))
    digest = [p for p in bot.fake.posts(channel=CHANNEL) if p["text"].startswith("Weekly adoption")][-1]
    table = str(digest["blocks"])
    assert "42" in table and "▲ 12" in table and "▲ 32" in table, "change from last week and from the first report"
    [upload] = bot.fake.uploads
    assert upload.startswith(b"\x89PNG")
    complete = bot.fake.calls_to("files.completeUploadExternal")[-1].params
    assert complete["channel_id"] == CHANNEL
    with Session(bot.engine) as session:
        history = session.exec(select(Scorecard).where(Scorecard.week_start == week)).all()
        assert [c.active_users for c in history] == [38, 42], "the earlier values stay in the history"
        trend = adoption.trend(initiative_id, week, session=session)
    assert trend.cards[-3] is None and trend.cards[-2].active_users == 30, "a week with no report is a gap"


def test_stale_things_are_nudged_to_their_owners(bot, owners_in_new_york, framework, monkeypatch):
    monkeypatch.setenv("READINESS_RISK_APPROVERS", "U900")
    driver = ReviewDriver(bot)
    thread = driver.start("Idle pilot", business="U201", go_live=(monday(10) + timedelta(days=3)).date().isoformat())
    with bot.services.session() as session:
        session.exec(select(Review)).one().updated_at = bot.clock.now() - timedelta(days=30)
    when = monday(10, 5, weeks=2)
    sent = run(bot, when)
    assert "idle_review to C111 for Idle pilot" in sent
    assert "past_go_live to C111 for Idle pilot" in sent
    idle = [p for p in bot.fake.posts(thread_ts=thread) if "no answer for a week" in p["text"]]
    assert len(idle) == 1
    past = [p for p in bot.fake.posts(channel=CHANNEL, top_level=True) if "past its go/no-go date" in p["text"]]
    assert "/readiness retire Idle pilot" in past[0]["text"]


def test_unmet_conditions_overdue_waivers_and_waiting_approvals_are_nudged(bot, owners_in_new_york, framework,
                                                                          monkeypatch):
    from tests.review_driver import blocker_at, complete_by_area, request_release

    monkeypatch.setenv("READINESS_RISK_APPROVERS", "U900")
    blocker = blocker_at(framework, "medium")
    complete_by_area(bot, framework, tier="medium", not_yet={blocker})
    request_release(bot, framework, tier="medium", waive={blocker})  # waiver due 2099-03-01
    with bot.services.session() as session:
        from storage.models import Waiver

        session.exec(select(Waiver)).one().due_date = date(2026, 1, 1)
    sent = run(bot, monday(10, 5))
    assert "waiver_overdue to U300 for Invoice assistant" in sent
    assert not [line for line in sent if line.startswith(Kind.UNMET_CONDITIONS)], "its only unmet condition is waived"
    assert {"pending_approval to U200 for Invoice assistant",
            "pending_approval to U300 for Invoice assistant"} <= set(sent)
    overdue = [p for p in dms_to(bot, "U300") if "past their due date" in p["text"]]
    assert framework.question(blocker).text[:40] in overdue[0]["text"]


def test_unmet_conditions_reminder_skips_those_a_live_request_waives(bot, owners_in_new_york, framework,
                                                                      monkeypatch):
    from tests.review_driver import blocker_at, complete_by_area, request_release

    monkeypatch.setenv("READINESS_RISK_APPROVERS", "U900")
    blocker = framework.question(blocker_at(framework, "medium"))
    other = next(q for q in framework.questions_for("medium") if not q.blocks_at("medium") and q.owner == blocker.owner)
    owner = {"business_owner": "U200", "technical_owner": "U300"}[blocker.owner.value]
    complete_by_area(bot, framework, tier="medium", not_yet={blocker.id, other.id})
    request_release(bot, framework, tier="medium", waive={blocker.id})

    def unmet_dm(at: datetime) -> str:
        run(bot, at)
        [dm] = [p for p in dms_to(bot, owner) if "still has conditions you own" in p["text"]][-1:]
        return dm["text"]

    waived = unmet_dm(monday(10, 5))
    assert other.text[:40] in waived and blocker.text[:40] not in waived, "the waived condition is skipped"
    later = monday(10, 5, weeks=2)
    bot.clock.set(later)
    assert any(line.startswith("expired") for line in run_sweep(bot.app.client, bot.services))
    assert blocker.text[:40] in unmet_dm(later), "an expired request waives nothing: it is reminded again"


def test_one_channels_failure_is_recorded_and_the_run_goes_on(bot, owners_in_new_york):
    add_initiative(bot, "First", "U201")
    add_initiative(bot, "Second", "U202")
    bot.fake.fail("chat.postMessage", "account_inactive")
    sent = run(bot, monday(10, 5))
    assert sent == ["checkin to U201 for First: failed (account_inactive)", "checkin to U202 for Second"]
    with Session(bot.engine) as session:
        failed = session.exec(select(NudgeLog).where(NudgeLog.status == NudgeStatus.FAILED)).one()
    assert failed.error == "account_inactive"
    assert run(bot, monday(10, 6)) == [], "a failure is recorded once, not retried all week"


def test_a_rate_limit_waits_for_retry_after_and_channels_get_about_one_message_a_second(bot, owners_in_new_york):
    for n in range(3):
        initiative_id = add_initiative(bot, f"Pilot {n}", f"U20{n}")
        report(bot, initiative_id, (monday(10) - timedelta(days=7)).date())
    run(bot, monday(10, 5))
    bot.post_interval = 0.4
    bot.restart()
    bot.fake.rate_limit("chat.postMessage", retry_after=1)
    started = len(bot.fake.calls)
    sent = run(bot, monday(10, 5) + timedelta(days=1))
    assert sum(1 for line in sent if line.startswith("digest")) == 3
    posts = [c for c in bot.fake.calls[started:] if c.method == "chat.postMessage"]
    assert posts[0].params.get("ts") is None and len(posts) == 4, "the 429 was retried"
    taken = [c.at for c in posts if "ts" in c.params]
    assert all(later - earlier >= 0.3 for earlier, later in zip(taken, taken[1:])), "paced in the channel"
    digests = [p for p in bot.fake.posts(channel=CHANNEL) if p["text"].startswith("Weekly adoption")]
    assert len(digests) == 3


def test_running_twice_or_in_two_processes_sends_nothing_twice(bot, owners_in_new_york, database_url, fake_slack):
    for n in range(4):
        add_initiative(bot, f"Pilot {n}", f"U20{n}")
    other = RunningBot(database_url, fake_slack, clock=bot.clock).start()
    try:
        at = monday(10, 5)
        results = []
        threads = [threading.Thread(target=lambda app=app: results.append(run(app, at))) for app in (bot, other)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert run(bot, at) == []
    finally:
        other.stop()
    lines = sorted(results[0] + results[1])
    assert lines == sorted(f"checkin to U20{n} for Pilot {n}" for n in range(4))
    assert len(bot.fake.posts()) == 4


def test_a_crash_in_the_middle_then_a_rerun_sends_the_rest_and_nothing_twice(bot, owners_in_new_york):
    for n in range(5):
        add_initiative(bot, f"Pilot {n}", f"U20{n}")
    at = monday(10, 5)
    bot.fake.hang("chat.postMessage", after=2)
    env = {**os.environ, "SLACK_BOT_TOKEN": "xoxb-test", "SLACK_API_URL": bot.fake.url,
           "DATABASE_URL": bot.database_url}
    process = subprocess.Popen([CLI, "nudge", "--at", at.isoformat()], env=env, cwd="/tmp",
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    bot.fake.wait_for(lambda: bot.fake.hanging)
    process.send_signal(signal.SIGKILL)  # the process dies while Slack has the third message
    process.wait(10)
    bot.fake.release()
    assert len(bot.fake.posts()) == 2
    assert run(bot, at + LEASE) == [], "each nudge was recorded, with its message, before any was sent"
    recipients = sorted(p["channel"] for p in bot.fake.posts())
    assert recipients == [f"D20{n}" for n in range(5)], "the rest delivered once their claim lapsed: every owner once"


def test_nudge_command_prints_what_it_sent(bot, owners_in_new_york):
    add_initiative(bot, "Invoice assistant", "U200")
    env = {**os.environ, "SLACK_BOT_TOKEN": "xoxb-test", "SLACK_API_URL": bot.fake.url,
           "DATABASE_URL": bot.database_url}
    at = monday(10, 5).isoformat()
    first = subprocess.run([CLI, "nudge", "--at", at], env=env, cwd="/tmp", capture_output=True, text=True,
                           timeout=60)
    assert first.returncode == 0 and first.stdout.strip() == "checkin to U200 for Invoice assistant"
    again = subprocess.run([CLI, "nudge", "--at", at], env=env, cwd="/tmp", capture_output=True, text=True,
                           timeout=60)
    assert again.stdout.startswith("nothing to send")
    bad = subprocess.run([CLI, "nudge", "--at", "monday"], env=env, cwd="/tmp", capture_output=True, text=True,
                         timeout=60)
    assert bad.returncode == 2 and "Traceback" not in bad.stderr


def test_schedule_command_moves_the_checkin_day_and_hour(bot, owners_in_new_york):
    add_initiative(bot, "Invoice assistant", "U200")
    bot.slack.command("schedule wednesday 9")
    bot.idle()
    assert "Wednesdays at 9:00" in bot.fake.responses()[-1]["text"]
    assert run(bot, monday(10, 5)) == []
    wednesday = monday(9, 5) + timedelta(days=2)
    assert run(bot, wednesday) == ["checkin to U200 for Invoice assistant"]
    bot.slack.command("schedule someday 99")
    bot.idle()
    assert "Say a weekday" in bot.fake.responses()[-1]["text"]
    assert Kind.CHECKIN.value in keys(bot)[0]


def test_a_late_checkin_is_reminded_a_day_after_it_went_out_not_a_day_after_monday(bot, owners_in_new_york):
    add_initiative(bot, "Invoice assistant", "U200")
    wednesday = monday(14, 0) + timedelta(days=2)  # the scheduler was down on Monday
    assert weekly(run(bot, wednesday)) == ["checkin to U200 for Invoice assistant"]
    assert weekly(run(bot, wednesday + timedelta(minutes=5))) == [], "no reminder minutes after a late check-in"
    assert weekly(run(bot, wednesday + timedelta(hours=23))) == []
    assert weekly(run(bot, wednesday + timedelta(days=1))) == ["reminder to U200 for Invoice assistant"]
    assert weekly(run(bot, wednesday + timedelta(days=1))) == [], "a second run at the same instant sends nothing"


def test_an_initiative_is_first_asked_about_the_week_it_was_created(bot, owners_in_new_york):
    bot.clock.set(monday(9, 0))  # created on a Monday morning, before the check-in hour
    initiative_id = add_initiative(bot, "Invoice assistant", "U200")
    assert weekly(run(bot, monday(10, 5))) == [], "not asked about the week before it existed"
    assert weekly(run(bot, monday(10, 5, weeks=2))) == ["checkin to U200 for Invoice assistant"]
    button = next(b for b in dms_to(bot, "U200")[-1]["blocks"] if b.get("block_id") == "checkin")["elements"][0]
    assert button["value"] == f"{initiative_id}:{monday(10).date().isoformat()}", "the week it was created in"


def test_snooze_a_week_counts_from_the_checkin_clicked_in_the_owners_calendar(bot, fake_slack):
    fake_slack.timezones["U200"] = "Pacific/Auckland"
    auckland = ZoneInfo("Pacific/Auckland")
    initiative_id = add_initiative(bot, "Invoice assistant", "U200")
    first = datetime(2026, 6, 8, 10, 5, tzinfo=auckland)  # the first Monday check-in after START in Auckland
    assert weekly(run(bot, first)) == ["checkin to U200 for Invoice assistant"]
    button = next(b for b in dms_to(bot, "U200")[-1]["blocks"] if b.get("block_id") == "checkin")["elements"][1]
    bot.clock.set(datetime(2026, 6, 13, 23, 0, tzinfo=auckland))  # clicked on Saturday night, Auckland time
    bot.slack.click(Action.SNOOZE_WEEK, button["value"], user="U200")
    bot.idle()
    assert "through 2026-06-15" in bot.fake.responses()[-1]["text"], "the next check-in's day is skipped"
    assert weekly(run(bot, first + timedelta(weeks=1))) == []
    assert weekly(run(bot, first + timedelta(weeks=2))) == ["checkin to U200 for Invoice assistant"]
    with Session(bot.engine) as session:
        assert session.get(Initiative, initiative_id).snoozed_until == date(2026, 6, 15)


def test_snooze_until_refuses_the_owners_today_even_when_the_server_is_a_day_behind(bot, fake_slack):
    fake_slack.timezones["U200"] = "Pacific/Auckland"
    add_initiative(bot, "Invoice assistant", "U200")
    run(bot, datetime(2026, 6, 8, 10, 5, tzinfo=ZoneInfo("Pacific/Auckland")))
    dm = dms_to(bot, "U200")[-1]
    bot.clock.set(datetime(2026, 6, 9, 23, 30, tzinfo=ZoneInfo("UTC")))  # already Wednesday 10 June in Auckland
    payload = fixture("block_actions_button.json")
    payload["user"]["id"] = "U200"
    payload["response_url"] = bot.fake.root + "/hooks/actions/x"
    payload["message"]["blocks"] = dm["blocks"]
    payload["actions"] = [{"type": "datepicker", "action_id": Action.SNOOZE_UNTIL, "block_id": "checkin",
                           "selected_date": "2026-06-10", "action_ts": "1"}]
    assert bot.slack.interactive(payload).status == 200
    bot.idle()
    assert "Choose a date after today" in bot.fake.responses()[-1]["text"]
    with Session(bot.engine) as session:
        assert session.exec(select(Initiative)).one().snoozed_until is None


def test_a_digest_whose_chart_upload_fails_is_posted_once_and_says_so(bot, owners_in_new_york, caplog):
    initiative_id = add_initiative(bot, "Invoice assistant", "U200")
    report(bot, initiative_id, monday(10).date() - timedelta(days=7))
    run(bot, monday(10, 5))
    bot.fake.fail("files.getUploadURLExternal", "not_allowed_token_type")
    tuesday = monday(10, 5) + timedelta(days=1)
    assert weekly(run(bot, tuesday)) == [f"digest to {CHANNEL} for Invoice assistant"]
    assert weekly(run(bot, tuesday + timedelta(minutes=5))) == [], "not posted again"
    digests = [p for p in bot.fake.posts(channel=CHANNEL) if p["text"].startswith("Weekly adoption")]
    assert len(digests) == 1 and not bot.fake.uploads
    updated = bot.fake.calls_to("chat.update")[-1].params
    assert updated["ts"] == digests[0]["ts"] and "next week's digest will try again" in str(updated["blocks"])
    assert "not_allowed_token_type" in caplog.text and "SLACK_BOT_TOKEN" not in caplog.text


def _varied_week(bot, framework, monkeypatch) -> None:
    """Initiatives with every kind of nudge due over a week, a retired one among them and a snoozed one: unmet
    conditions, an overdue waiver and approvers waited on; check-ins, reminders and digests; pilots past their
    go/no-go date; an idle review."""
    from tests.review_driver import blocker_at, complete_by_area, request_release

    monkeypatch.setenv("READINESS_RISK_APPROVERS", "U900")
    past = (monday(10) - timedelta(days=1)).date()
    pilots = [add_initiative(bot, f"Pilot {n}", f"U20{n}", go_live=past if n % 2 else None) for n in range(1, 7)]
    blocker = blocker_at(framework, "medium")
    other = next(q.id for q in framework.questions_for("medium") if not q.blocks_at("medium"))
    complete_by_area(bot, framework, tier="medium", not_yet={blocker, other})  # last in the first page of two
    request_release(bot, framework, tier="medium", waive={blocker})
    ReviewDriver(bot).start("Idle pilot", business="U208")
    with bot.services.session() as session:
        session.exec(select(Waiver)).one().due_date = date(2026, 1, 1)
        session.exec(select(Review).join(Initiative).where(Initiative.name == "Idle pilot")).one().updated_at = (
            bot.clock.now() - timedelta(days=30))
        retire(session.get(Initiative, pilots[0]), user_id="U201", session=session)
        snooze_until(pilots[4], (monday(10) + timedelta(days=20)).date(), user_id="U205", session=session,
                     now=bot.clock.now())
    for reported in (pilots[1], pilots[3]):
        report(bot, reported, (monday(10) - timedelta(days=7)).date())


def _planned(bot, at: datetime, size: int) -> list[list]:
    with bot.services.reading() as session:
        return list(nudges.plan_pages(session=session, now=at, framework=bot.services.framework,
                                      policy=bot.services.policy, size=size))


def test_planning_in_pages_plans_what_one_page_of_all_plans(bot, owners_in_new_york, framework, monkeypatch):
    _varied_week(bot, framework, monkeypatch)
    at = monday(10, 5)
    bot.clock.set(at)
    [whole] = _planned(bot, at, 1000)
    pages = _planned(bot, at, 2)
    assert len(pages) == 4, "7 initiatives (and a retired one), 2 a page"
    assert [nudge for page in pages for nudge in page] == whole
    assert {n.kind for n in whole} == {Kind.CHECKIN, Kind.UNMET_CONDITIONS, Kind.WAIVER_OVERDUE, Kind.PENDING_APPROVAL,
                                       Kind.PAST_GO_LIVE, Kind.IDLE_REVIEW}


def test_the_weekly_run_page_by_page_records_what_one_page_of_all_plans(bot, owners_in_new_york, framework,
                                                                        monkeypatch):
    _varied_week(bot, framework, monkeypatch)
    monkeypatch.setattr(nudges, "PAGE", 2)
    kinds = set()
    for at in (monday(10, 5), monday(10, 5) + timedelta(days=1)):  # the check-ins, then reminders and digests
        bot.clock.set(at)
        [whole] = _planned(bot, at, 1000)
        before = set(keys(bot))
        with Session(bot.engine) as session:
            names = dict(session.exec(select(Initiative.id, Initiative.name)).all())
        lines = run(bot, at)
        assert lines == [f"{n.kind} to {n.recipient} for {names[n.initiative_id]}" for n in whole]
        assert sorted(set(keys(bot)) - before) == sorted(n.key for n in whole)
        assert run(bot, at) == [], "each nudge once"
        kinds |= {n.kind for n in whole}
    assert {Kind.REMINDER, Kind.DIGEST} <= kinds and not any("Pilot 1" in p["text"] for p in bot.fake.posts())
