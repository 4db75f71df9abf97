"""The adoption scorecard's baseline through the served bot: asked at intake (or later with /readiness baseline),
shown beside the weekly report's numbers, and the digest compares each week with it and flags a guardrail that
slips past its threshold."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import Session, select

from bot.slack.ids import Action
from storage.models import AuditEvent, Baseline, Initiative, Scorecard
from tests.nudge_driver import dms_to, monday, run
from tests.review_driver import ReviewDriver, intake_values
from tests.slack_requests import CHANNEL

NAME = "Invoice assistant"
OWNER = "U201"


def number(value: str) -> dict:
    return {"type": "number_input", "value": value}


def text(value: str) -> dict:
    return {"type": "plain_text_input", "value": value}


def direction(value: str) -> dict:
    return {"type": "radio_buttons", "selected_option": {"value": value}}


BASELINE = {
    "time_per_task_minutes": number("45"), "volume_per_week": number("200"), "error_rate": number("4"),
    "cost_per_task": number("3.20"),
    "north_star_name": text("Invoices paid on time"), "north_star_unit": text("%"),
    "north_star_direction": direction("higher"), "north_star_baseline": number("80"),
    "guardrail_1_name": text("Supplier complaints"), "guardrail_1_unit": text("per week"),
    "guardrail_1_direction": direction("lower"), "guardrail_1_threshold": number("5"),
    "guardrail_2_name": text("Payment accuracy"), "guardrail_2_unit": text("%"),
    "guardrail_2_direction": direction("higher"), "guardrail_2_threshold": number("98"),
}


def start_with_baseline(bot, values: dict) -> dict:
    driver = ReviewDriver(bot)
    view = driver.open_intake(f"new {NAME}")
    response = bot.slack.submit_view(view, {**intake_values(NAME, business=OWNER), **values})
    assert response.status == 200
    bot.idle()
    return response.json()


def baselines(bot) -> list[Baseline]:
    with Session(bot.engine) as session:
        return session.exec(select(Baseline).order_by(Baseline.id)).all()


def test_the_intake_asks_for_the_baseline_and_checks_it_with_the_rest_of_the_form(bot):
    view = ReviewDriver(bot).open_intake(f"new {NAME}")
    ids = [b.get("block_id") for b in view["blocks"]]
    assert {"time_per_task_minutes", "north_star_name", "guardrail_1_threshold", "guardrail_2_direction"} <= set(ids)
    assert all(b["optional"] for b in view["blocks"] if b.get("block_id") in BASELINE), "all of it is optional"

    wrong = start_with_baseline(bot, {**BASELINE, "guardrail_1_threshold": number(""), "error_rate": number("140"),
                                      "north_star_direction": {"type": "radio_buttons", "selected_option": None}})
    assert wrong["response_action"] == "errors"
    assert set(wrong["errors"]) == {"guardrail_1_threshold", "error_rate", "north_star_direction"}
    with Session(bot.engine) as session:
        assert session.exec(select(Initiative)).all() == [], "nothing is saved while the form has errors"

    assert start_with_baseline(bot, {}) == {}
    assert baselines(bot) == [], "left empty, no baseline is recorded"


def test_baseline_later_replaces_the_first_and_keeps_the_history(bot):
    assert start_with_baseline(bot, BASELINE) == {}
    [first] = baselines(bot)
    assert (first.time_per_task_minutes, first.guardrail_1_name, first.guardrail_1_direction) == (
        45, "Supplier complaints", "lower")

    bot.slack.command(f"baseline {NAME}", user=OWNER)
    bot.idle()
    view = bot.fake.calls_to("views.open")[-1].params["view"]
    shown = {b["block_id"]: b["element"] for b in view["blocks"] if b.get("type") == "input"}
    assert shown["time_per_task_minutes"]["initial_value"] == "45"
    assert shown["north_star_direction"]["initial_option"]["value"] == "higher"
    assert bot.slack.submit_view(view, {}, user=OWNER).json()["errors"] == {
        "time_per_task_minutes": "Fill in at least one number or metric."}
    assert bot.slack.submit_view(view, {**BASELINE, "time_per_task_minutes": number("50")}, user=OWNER).status == 200
    bot.idle()
    assert [b.time_per_task_minutes for b in baselines(bot)] == [45, 50]
    assert bot.fake.posts(channel=OWNER)[-1]["text"].startswith("Saved the adoption baseline of Invoice assistant")
    with Session(bot.engine) as session:
        kinds = [e.kind for e in session.exec(select(AuditEvent).where(AuditEvent.kind.like("baseline%"))).all()]
    assert kinds == ["baseline_recorded", "baseline_replaced"]


def test_the_digest_compares_the_week_with_the_baseline_and_flags_a_guardrail_that_slips(bot, owners_in_new_york):  # noqa: F811
    assert start_with_baseline(bot, BASELINE) == {}
    run(bot, monday(10, 5))
    button = next(b for b in dms_to(bot, OWNER)[-1]["blocks"] if b.get("block_id") == "checkin")["elements"][0]
    bot.slack.click(Action.REPORT_WEEK, button["value"], user=OWNER)
    bot.idle()
    modal = bot.fake.calls_to("views.open")[-1].params["view"]
    fields = {b["block_id"]: b for b in modal["blocks"] if b.get("type") == "input"}
    assert fields["north_star"]["label"]["text"] == "North star: Invoices paid on time (%)"
    assert fields["guardrail_1"]["label"]["text"] == "Guardrail: Supplier complaints (per week)"
    assert fields["guardrail_1"]["hint"]["text"] == "Lower is better; it slips past 5."
    assert fields["cycle_time_minutes"]["hint"]["text"] == "Before the AI: time per task 45 min."
    week = {"active_users": "40", "repeat_users": "25", "cycle_time_minutes": "30", "feedback_count": "7",
            "escalations": "1", "incidents": "0", "tasks_handled": "260", "error_rate": "2.5", "cost_per_task": "1.1",
            "north_star": "86", "guardrail_1": "7", "guardrail_2": "99.2"}
    response = bot.slack.submit_view(modal, {k: number(v) for k, v in week.items()}, user=OWNER)
    assert response.status == 200 and not response.body
    bot.idle()
    with Session(bot.engine) as session:
        card = session.exec(select(Scorecard)).one()
    assert (card.tasks_handled, card.north_star, card.guardrail_1) == (260, 86, 7)

    run(bot, monday(10, 5) + timedelta(days=1))
    digest = [p for p in bot.fake.posts(channel=CHANNEL) if p["text"].startswith("Weekly adoption")][-1]
    shown = str(digest["blocks"])
    assert "*Against the baseline before the AI*" in shown
    assert "• Time per task: 30 min this week vs 45 min before the AI (▼ 15, 33%: better)" in shown
    assert "• Tasks per week: 260 this week vs 200 before the AI (▲ 60, 30%: better)" in shown
    assert "• Error rate: 2.5% this week vs 4% before the AI (▼ 1.5, 38%: better)" in shown
    assert "• Cost per task: 1.1 this week vs 3.2 before the AI (▼ 2.1, 66%: better)" in shown
    assert "• Invoices paid on time: 86 % this week vs 80 % before the AI (▲ 6, 8%: better)" in shown
    assert ("⚠️ *Guardrail slipped:* Supplier complaints is 7 per week, past its threshold of 5 per week "
            "(lower is better)") in shown
    assert "✅ Guardrail held: Payment accuracy is 99.2 % (higher is better, threshold 98 %)" in shown
    assert digest["text"].endswith("· ⚠️ guardrail slipped: Supplier complaints"), "the notification says so too"
