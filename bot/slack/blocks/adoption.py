"""Adoption surfaces: the weekly check-in DM, the report modal, the digest, the nudges for what went stale."""

from __future__ import annotations

import json
from datetime import date

from bot.domain.adoption import BOUNDS, ScorecardInput, Trend, change
from bot.domain.nudges import Kind
from bot.slack.blocks.limits import MAX_FALLBACK, context, packed_sections, section
from bot.slack.ids import Action, View, week_ref
from bot.text import from_plain, from_slack, shorten
from storage.models import Initiative, Scorecard

TEXT_FIELDS = {"top_themes": "Top feedback themes", "note": "Anything else"}
LABEL_WIDTH = max(len(bound.label) for bound in BOUNDS.values())  # the digest's metric column


def week_label(week_start: date) -> str:
    return f"the week of {week_start.strftime('%d %b %Y')}"


def build_checkin(initiative: Initiative, week_start: date, *, reminder: bool) -> tuple[str, list[dict]]:
    name = from_plain(initiative.name)
    lead = "⏰ Reminder: " if reminder else "📊 "
    text = f"{lead}How did *{name}* do in {week_label(week_start)}? Active users, time saved, feedback, escalations."
    value = week_ref(initiative.id, week_start)
    blocks = [
        section(text),
        context("Weekly numbers prove impact (or show it is time for a decision). Two minutes, once a week."),
        {"type": "actions", "block_id": "checkin", "elements": [
            {"type": "button", "action_id": Action.REPORT_WEEK, "value": value, "style": "primary",
             "text": {"type": "plain_text", "text": "Report this week"}},
            {"type": "button", "action_id": Action.SNOOZE_WEEK, "value": value,
             "text": {"type": "plain_text", "text": "Snooze a week"}},
            {"type": "datepicker", "action_id": Action.SNOOZE_UNTIL,
             "placeholder": {"type": "plain_text", "text": "Snooze until…"}},
        ]},
    ]
    return text, blocks


def build_report_modal(initiative: Initiative, week_start: date, *, context_lines: list[str],
                       baseline: Scorecard | None) -> dict:
    """The scorecard form, with the review's baseline and success criteria shown beside the fields."""
    shown = [*context_lines]
    if baseline is not None:
        shown.append(f"*First report ({baseline.week_start.isoformat()}):* {baseline.active_users} active users, "
                     f"{_number(baseline.hours_saved)} hours saved")
    blocks = packed_sections(shown or ["No baseline was recorded in the review yet."])
    for name, bound in BOUNDS.items():
        element = {"type": "number_input", "is_decimal_allowed": not bound.integer,
                   "min_value": str(int(bound.low)), "max_value": str(int(bound.high))}
        blocks.append(_input(name, bound.label, element, optional=not bound.required,
                             hint="Hours saved, or the cycle time: one of the two." if name == "hours_saved" else None))
    for name, label in TEXT_FIELDS.items():
        blocks.append(_input(name, label, {"type": "plain_text_input", "multiline": True}, optional=True))
    return {
        "type": "modal", "callback_id": View.SCORECARD,
        "private_metadata": json.dumps({"initiative_id": initiative.id, "week_start": week_start.isoformat()}),
        "title": {"type": "plain_text", "text": "Weekly adoption"},
        "submit": {"type": "plain_text", "text": "Save"},
        "close": {"type": "plain_text", "text": "Cancel"},
        "blocks": [section(f"*{from_plain(initiative.name)}*: {week_label(week_start)}"), *blocks],
    }


def _input(name: str, label: str, element: dict, *, optional: bool, hint: str | None = None) -> dict:
    block = {"type": "input", "block_id": name, "optional": optional, "label": {"type": "plain_text", "text": label},
             "element": {**element, "action_id": name}}
    if hint:
        block["hint"] = {"type": "plain_text", "text": hint}
    return block


def read_report_modal(view: dict) -> tuple[int, date, ScorecardInput]:
    values = view["state"]["values"]
    meta = json.loads(view["private_metadata"])
    typed = {name: (values.get(name, {}).get(name, {}).get("value") or "")
             for name in [*BOUNDS, *TEXT_FIELDS]}
    return meta["initiative_id"], date.fromisoformat(meta["week_start"]), ScorecardInput(**typed)


def _number(value: float | None) -> str:
    if value is None:
        return "–"
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.1f}"


def _delta(now: float | None, before: float | None) -> str:
    moved = change(now, before)
    if moved is None:
        return "–"
    arrow = "▲" if moved > 0 else "▼" if moved < 0 else "="
    return f"{arrow} {_number(abs(moved))}" if moved else "="


def build_digest(initiative: Initiative, trend: Trend, *, chart: bool = True) -> tuple[str, list[dict]]:
    """This week's numbers, the change from last week and from the first report; a gap if not reported.

    Without `chart`, it says the chart could not be attached and comes again next week.
    """
    name = from_plain(initiative.name)
    week = trend.weeks[-1]
    card, last, base = trend.this_week, trend.last_week, trend.baseline
    title = f"Weekly adoption: {initiative.name}, {week_label(week)}"
    if card is None:
        text = f"📉 {name}: no adoption report for {week_label(week)}. " + (
            "The chart shows it as a gap." if chart else CHART_MISSING)
        return text, [{"type": "header", "text": {"type": "plain_text", "text": shorten(title, 150)}}, section(text)]
    lines = [f"`{'metric':<{LABEL_WIDTH}}  this week   vs last week   vs first report`"]
    for metric, bound in BOUNDS.items():
        now = getattr(card, metric)
        if now is None:
            continue
        before = getattr(last, metric) if last else None
        first = getattr(base, metric) if base and base.id != card.id else None
        lines.append(f"`{bound.label:<{LABEL_WIDTH}}  {_number(now):>9}   {_delta(now, before):>12}   "
                     f"{_delta(now, first):>15}`")
    if card.top_themes:
        lines.append(f"*Top themes:* {shorten(from_plain(card.top_themes), 500)}")
    if card.note:
        lines.append(f"*Note:* {shorten(from_plain(card.note), 500)}")
    blocks = [{"type": "header", "text": {"type": "plain_text", "text": shorten(title, 150)}},
              *packed_sections(lines),
              context(f"Reported by <@{card.reported_by}>. " + (
                  "The chart below covers the last 12 weeks; a week without a report is a gap." if chart
                  else CHART_MISSING))]
    return f"Weekly adoption for {name}, {week_label(week)}: {card.active_users} active users", blocks


CHART_MISSING = "The chart could not be attached this week; next week's digest will try again."

STALE_TEXTS = {
    Kind.UNMET_CONDITIONS: "🧭 *{name}* still has conditions you own that are not met:",
    Kind.WAIVER_OVERDUE: "⏳ *{name}*: waivers you own are past their due date:",
    Kind.IDLE_REVIEW: "💤 The readiness review of *{name}* has had no answer for a week. The next question is above; "
                      "or run `/readiness status {raw}` to pick any question.",
    Kind.PENDING_APPROVAL: "🗳️ A release request for *{name}* is still waiting for your decision.",
    Kind.PAST_GO_LIVE: "📅 *{name}* is past its go/no-go date. Pilots should not drift: decide to release "
                       "(`/readiness release {raw}`), set a new date, or retire it (`/readiness retire {raw}`).",
}


def build_stale_nudge(kind: Kind, initiative: Initiative, items: list[str]) -> str:
    """The nudge's sentence and its items, as many as fit Slack's advised message length."""
    lines = [STALE_TEXTS[kind].format(name=from_plain(initiative.name), raw=from_plain(initiative.name))]
    for n, item in enumerate(items):
        line = f"• {shorten(item, 300)}"
        if sum(len(x) + 1 for x in lines) + len(line) > MAX_FALLBACK - 100:
            lines.append(f"…and {len(items) - n} more: `/readiness status {from_plain(initiative.name)}` lists them.")
            break
        lines.append(line)
    return "\n".join(lines)


def build_context_lines(evidence_by_question: list[tuple[str, str | None]]) -> list[str]:
    return [f"*{from_plain(label)}:* {shorten(from_slack(text), 400) if text else 'not recorded in the review'}"
            for label, text in evidence_by_question]
