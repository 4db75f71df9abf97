"""Adoption surfaces: the weekly check-in DM, the report modal, the digest, the nudges for what went stale."""

from __future__ import annotations

import json
from datetime import date

from bot.domain.adoption import BOUNDS, METRICS, ScorecardInput, Trend, change
from bot.domain.baseline import (
    COMPARABLE,
    FIELD_NAMES,
    NUMBERS,
    UNIT_MAX,
    VALUE,
    BaselineInput,
    Comparison,
    compare,
    metrics_of,
)
from bot.domain.baseline import METRICS as BASELINE_METRICS
from bot.domain.baseline import NAME_MAX as METRIC_NAME_MAX
from bot.domain.nudges import Kind
from bot.slack.blocks.inputs import input_block, text_element
from bot.slack.blocks.limits import MAX_FALLBACK, context, packed_sections, section
from bot.slack.ids import Action, View, week_ref
from bot.text import from_plain, from_slack, shorten
from storage.models import Baseline, Direction, Initiative, Scorecard

TEXT_FIELDS = {"top_themes": "Top feedback themes", "note": "Anything else"}
LABEL_WIDTH = max(len(bound.label) for bound in BOUNDS.values())  # the digest's metric column


def week_label(week_start: date) -> str:
    return f"the week of {week_start.strftime('%d %b %Y')}"


def _asked(initiative: Initiative, week_start: date) -> str:
    return f"How did *{from_plain(initiative.name)}* do in {week_label(week_start)}?"


def build_checkin(initiative: Initiative, week_start: date, *, reminder: bool) -> tuple[str, list[dict]]:
    lead = "⏰ Reminder: " if reminder else "📊 "
    text = f"{lead}{_asked(initiative, week_start)} Active users, time saved, feedback, escalations."
    value = week_ref(initiative.id, week_start)
    blocks = [
        section(text),
        context("Weekly numbers prove impact (or show it is time for a decision). Two minutes, once a week."),
        {"type": "actions", "block_id": "checkin", "elements": [
            report_button(initiative.id, week_start),
            {"type": "button", "action_id": Action.SNOOZE_WEEK, "value": value,
             "text": {"type": "plain_text", "text": "Snooze a week"}},
            {"type": "datepicker", "action_id": Action.SNOOZE_UNTIL,
             "placeholder": {"type": "plain_text", "text": "Snooze until…"}},
        ]},
    ]
    return text, blocks


def build_reported_checkin(initiative: Initiative, week_start: date, user_id: str) -> tuple[str, list[dict]]:
    """A check-in once its week is reported: who reported it, in place of its buttons."""
    asked, reported = f"📊 {_asked(initiative, week_start)}", f"✅ Reported by <@{user_id}>."
    return f"{asked} {reported}", [section(asked), context(reported)]


def report_button(initiative_id: int, week_start: date) -> dict:
    """Report this week: opens the scorecard form for the week (in the check-in, and in App Home)."""
    return {"type": "button", "action_id": Action.REPORT_WEEK, "value": week_ref(initiative_id, week_start),
            "style": "primary", "text": {"type": "plain_text", "text": "Report this week"}}


def build_report_modal(initiative: Initiative, week_start: date, *, context_lines: list[str],
                       baseline: Scorecard | None, before_ai: Baseline | None = None,
                       checkin: tuple[str, str] | None = None) -> dict:
    """The scorecard form, with the review's baseline and success criteria shown beside the fields, and the
    recorded baseline beside the numbers it is compared with; the north star and guardrails when named.
    `checkin` (channel, ts): the check-in it was opened from, marked reported once the form is saved."""
    shown = [*context_lines]
    if baseline is not None:
        shown.append(f"*First report ({baseline.week_start.isoformat()}):* {baseline.active_users} active users, "
                     f"{_number(baseline.hours_saved)} hours saved")
    blocks = packed_sections(shown or ["No baseline was recorded in the review yet."])
    beside = _baseline_hints(before_ai)
    for name, bound in BOUNDS.items():
        element = {"type": "number_input", "is_decimal_allowed": not bound.integer,
                   "min_value": str(int(bound.low)), "max_value": str(int(bound.high))}
        hint = "Hours saved, or the cycle time: one of the two." if name == "hours_saved" else beside.get(name)
        blocks.append(input_block(name, bound.label, element, optional=not bound.required, hint=hint))
    for metric, metric_name, unit, direction, value in metrics_of(before_ai):
        element = _number_element(VALUE.low, VALUE.high, "")
        label = f"{'Guardrail' if metric.guardrail else 'North star'}: {metric_name}" + (f" ({unit})" if unit else "")
        blocks.append(input_block(metric.key, label, element, optional=True,
                                  hint=_metric_hint(metric, direction, value)))
    for name, label in TEXT_FIELDS.items():
        blocks.append(input_block(name, label, {"type": "plain_text_input", "multiline": True}, optional=True))
    return {
        "type": "modal", "callback_id": View.SCORECARD,
        "private_metadata": json.dumps({"initiative_id": initiative.id, "week_start": week_start.isoformat(),
                                        **({"checkin": list(checkin)} if checkin else {})}),
        "title": {"type": "plain_text", "text": "Weekly adoption"},
        "submit": {"type": "plain_text", "text": "Save"},
        "close": {"type": "plain_text", "text": "Cancel"},
        "blocks": [section(f"*{from_plain(initiative.name)}*: {week_label(week_start)}"), *blocks],
    }


def read_report_modal(view: dict) -> tuple[int, date, ScorecardInput]:
    values = view["state"]["values"]
    meta = json.loads(view["private_metadata"])
    typed = {name: (values.get(name, {}).get(name, {}).get("value") or "")
             for name in [*BOUNDS, *METRICS, *TEXT_FIELDS]}
    return meta["initiative_id"], date.fromisoformat(meta["week_start"]), ScorecardInput(**typed)


def checkin_of(view: dict) -> tuple[str, str] | None:
    """The check-in (channel, ts) a submitted report form was opened from, if any."""
    checkin = json.loads(view["private_metadata"]).get("checkin")
    return tuple(checkin) if checkin else None


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
    comparison = compare(trend.before_ai, card) if trend.before_ai else Comparison([], [])
    if comparison.versus or comparison.guardrails:
        lines += comparison_lines(comparison)
    if card.top_themes:
        lines.append(f"*Top themes:* {shorten(from_plain(card.top_themes), 500)}")
    if card.note:
        lines.append(f"*Note:* {shorten(from_plain(card.note), 500)}")
    blocks = [{"type": "header", "text": {"type": "plain_text", "text": shorten(title, 150)}},
              *packed_sections(lines),
              context(f"Reported by <@{card.reported_by}>. " + (
                  "The chart below covers the last 12 weeks; a week without a report is a gap." if chart
                  else CHART_MISSING))]
    text = f"Weekly adoption for {name}, {week_label(week)}: {card.active_users} active users"
    if comparison.slipped:
        text += " · ⚠️ guardrail slipped: " + ", ".join(from_plain(g.name) for g in comparison.slipped)
    return shorten(text, MAX_FALLBACK), blocks


def _figure(value: float) -> str:
    """A number as people write it: thousands separated, at most two decimals, no trailing zeros."""
    text = f"{value:,.2f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def comparison_lines(comparison: Comparison) -> list[str]:
    """The week against the baseline before the AI, and each guardrail: held, slipped or not reported."""
    lines = ["*Against the baseline before the AI*"]
    for v in comparison.versus:
        label, unit = from_plain(v.label), from_plain(v.unit)
        if v.now is None:
            lines.append(f"• {label}: {_figure(v.before)}{unit} before the AI; not reported this week"
                         if v.before is not None else f"• {label}: not reported this week")
        elif v.before is None:
            lines.append(f"• {label}: {_figure(v.now)}{unit} this week; no value before the AI to compare with")
        elif v.now == v.before:
            lines.append(f"• {label}: {_figure(v.now)}{unit} this week, as before the AI")
        else:
            moved = v.now - v.before
            share = f", {abs(moved) / abs(v.before):.0%}" if v.before else ""
            lines.append(f"• {label}: {_figure(v.now)}{unit} this week vs {_figure(v.before)}{unit} before the AI "
                         f"({'▲' if moved > 0 else '▼'} {_figure(abs(moved))}{share}: "
                         f"{'better' if v.better else 'worse'})")
    for g in comparison.guardrails:
        name, unit = from_plain(g.name), f" {from_plain(g.unit)}" if g.unit else ""
        rule = f"{g.direction.value} is better"
        if g.value is None:
            lines.append(f"• Guardrail {name}: not reported this week ({rule}, threshold {_figure(g.threshold)}{unit})")
        elif g.slipped:
            lines.append(f"⚠️ *Guardrail slipped:* {name} is {_figure(g.value)}{unit}, past its threshold of "
                         f"{_figure(g.threshold)}{unit} ({rule})")
        else:
            lines.append(f"• ✅ Guardrail held: {name} is {_figure(g.value)}{unit} ({rule}, threshold "
                         f"{_figure(g.threshold)}{unit})")
    return lines


def _baseline_hints(before_ai: Baseline | None) -> dict[str, str]:
    """The baseline beside each weekly number it is compared with, keyed by the report's field."""
    if before_ai is None:
        return {}
    hints = {}
    for before, now, label, unit, _ in COMPARABLE:
        value = getattr(before_ai, before)
        if value is not None:
            hints[now] = f"Before the AI: {label.lower()} {_figure(value)}{unit}."
    return hints


def _metric_hint(metric, direction: Direction, value: float | None) -> str:
    rule = f"{direction.value.capitalize()} is better"
    if metric.guardrail:
        return f"{rule}; it slips past {_figure(value)}." if value is not None else f"{rule}."
    return f"{rule}; {_figure(value)} before the AI." if value is not None else f"{rule}."


NUMBER_LABELS = {
    "time_per_task_minutes": "Time per task before the AI (minutes)",
    "volume_per_week": "Tasks per week before the AI",
    "error_rate": "Error rate before the AI (% of tasks)",
    "cost_per_task": "Cost per task before the AI",
}
METRIC_EXAMPLES = {"north_star": "e.g. Invoices paid on time", "guardrail_1": "e.g. Complaints per week",
                   "guardrail_2": "e.g. Escalations to a person"}
METRIC_HINTS = {"north_star": "The one number that shows the AI is doing its job.",
                "guardrail_1": "A number that must not get worse while adoption grows.",
                "guardrail_2": "Another number that must not get worse."}


def build_baseline_inputs(current: BaselineInput) -> list[dict]:
    """The baseline's fields (all optional), filled in as recorded: for the intake form and the baseline form."""
    blocks = []
    for name, bound in NUMBERS.items():
        number = _number_element(bound.low, bound.high, getattr(current, name))
        blocks.append(input_block(name, NUMBER_LABELS[name], number, optional=True))
    for metric in BASELINE_METRICS:
        key = metric.key
        direction = getattr(current, f"{key}_direction")
        options = [{"text": {"type": "plain_text", "text": f"{d.value.capitalize()} is better"}, "value": d.value}
                   for d in Direction]
        radio = {"type": "radio_buttons", "options": options}
        if direction in {d.value for d in Direction}:
            radio["initial_option"] = next(o for o in options if o["value"] == direction)
        name = text_element(METRIC_EXAMPLES[key], multiline=False, max_length=METRIC_NAME_MAX,
                            initial=getattr(current, f"{key}_name"))
        unit = text_element("e.g. %, per week, €", multiline=False, max_length=UNIT_MAX,
                            initial=getattr(current, f"{key}_unit"))
        value = _number_element(VALUE.low, VALUE.high, getattr(current, metric.value_field))
        blocks += [
            input_block(f"{key}_name", metric.label, name, optional=True, hint=METRIC_HINTS[key]),
            input_block(f"{key}_unit", f"{metric.label}: unit", unit, optional=True),
            input_block(f"{key}_direction", f"{metric.label}: which way is better", radio, optional=True),
            input_block(metric.value_field, metric.value_label, value, optional=True,
                        hint="It slips when a week's value passes this the wrong way." if metric.guardrail else None),
        ]
    return blocks


def _number_element(low: float, high: float, initial: str) -> dict:
    element = {"type": "number_input", "is_decimal_allowed": True, "min_value": str(int(low)),
               "max_value": str(int(high))}
    if initial:
        element["initial_value"] = initial
    return element


def build_baseline_modal(initiative: Initiative, current: BaselineInput) -> dict:
    """The baseline form of `/readiness baseline`: the process before the AI, the north star, two guardrails."""
    return {
        "type": "modal", "callback_id": View.BASELINE,
        "private_metadata": json.dumps({"initiative_id": initiative.id}),
        "title": {"type": "plain_text", "text": "Adoption baseline"},
        "submit": {"type": "plain_text", "text": "Save"},
        "close": {"type": "plain_text", "text": "Cancel"},
        "blocks": [section(f"*{from_plain(initiative.name)}*: {BASELINE_INTRO}"), *build_baseline_inputs(current)],
    }


BASELINE_INTRO = ("the process before the AI, and the metrics its adoption is judged by. Each weekly digest "
                  "compares the week with it and flags a guardrail that slips.")


def read_baseline(view: dict) -> BaselineInput:
    """The baseline fields of a submitted form (the intake form or the baseline form)."""
    values = view["state"]["values"]
    typed = {}
    for name in FIELD_NAMES:
        element = values.get(name, {}).get(name, {})
        typed[name] = ((element.get("selected_option") or {}).get("value") if name.endswith("_direction")
                       else element.get("value")) or ""
    return BaselineInput(**typed)


def baseline_initiative(view: dict) -> int:
    return json.loads(view["private_metadata"])["initiative_id"]


CHART_MISSING = "The chart could not be attached this week; next week's digest will try again."

STALE_TEXTS = {
    Kind.UNMET_CONDITIONS: "🧭 *{name}* still has conditions you own that are not met:",
    Kind.WAIVER_OVERDUE: "⏳ *{name}*: waivers you own are past their due date:",
    Kind.IDLE_REVIEW: "💤 The readiness review of *{name}* has had no answer for a week. Each owner has "
                      "their open questions; `/readiness continue {raw}` posts them again.",
    Kind.PENDING_APPROVAL: "🗳️ A release request for *{name}* is still waiting for your decision.",
    Kind.PAST_GO_LIVE: "📅 *{name}* is past its go/no-go date. Pilots should not drift: record the decision, go, "
                       "no-go or extend the pilot (`/readiness decide {raw}`); this reminder stops once it is "
                       "recorded. To retire it: `/readiness retire {raw}`.",
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
