"""The pilot's course after intake: the form to change its risk tier and go/no-go date, the go / no-go decision
form, what the team channel is told about each, and the decision lines of the summary and the status."""

from __future__ import annotations

import json
from datetime import date

from bot.approval_policy import ApprovalPolicy
from bot.domain.changes import REASON_MAX as CHANGE_REASON_MAX
from bot.domain.changes import Change
from bot.domain.go_decisions import REASON_MAX as DECISION_REASON_MAX
from bot.domain.go_decisions import DecisionInput, Recorded
from bot.framework import Framework
from bot.slack.blocks.inputs import date_element, input_block, text_element
from bot.slack.blocks.limits import MAX_FALLBACK, context, section
from bot.slack.ids import DecisionField, Field, View
from bot.text import from_plain, shorten
from storage.models import GoDecision, GoOutcome, Initiative, RequestStatus

OUTCOME_LABELS = {GoOutcome.GO: "✅ Go", GoOutcome.NO_GO: "🛑 No-go", GoOutcome.EXTEND: "⏩ Extend the pilot"}
OUTCOME_MEANINGS = {
    GoOutcome.GO: "Take it to production (the release still needs its approvals).",
    GoOutcome.NO_GO: "Stop: it does not go to production.",
    GoOutcome.EXTEND: "Keep piloting until a new go/no-go date.",
}
REASON_SHOWN = 500  # of a decision's reason, in the summary and the status


def _option(text: str, value: str, description: str | None = None) -> dict:
    option = {"text": {"type": "plain_text", "text": text}, "value": value}
    if description:
        option["description"] = {"type": "plain_text", "text": description}
    return option


def _when(day: date | None) -> str:
    return day.isoformat() if day else "none"


def build_edit_modal(initiative: Initiative, framework: Framework) -> dict:
    """The owners' form to change the risk tier and the go/no-go date, filled in as they are now."""
    options = [_option(t.label, t.id.value, t.meaning) for t in framework.tiers]
    tier = {"type": "radio_buttons", "options": options,
            "initial_option": next(o for o in options if o["value"] == initiative.risk_tier)}
    return {
        "type": "modal", "callback_id": View.EDIT_INITIATIVE,
        "private_metadata": json.dumps({"initiative_id": initiative.id}),
        "title": {"type": "plain_text", "text": "Risk tier and date"},
        "submit": {"type": "plain_text", "text": "Save the change"},
        "close": {"type": "plain_text", "text": "Cancel"},
        "blocks": [
            section(f"*{from_plain(initiative.name)}*"),
            context("A release approval or request made before the change turns stale, and the team channel is told. "
                    "A new tier also changes who approves and which questions the review asks."),
            input_block(Field.RISK_TIER, "Risk tier: harm if it is wrong", tier),
            input_block(Field.GO_LIVE, "Go/no-go date", date_element(initiative.go_live_date), optional=True),
            input_block(Field.REASON, "Why the change",
                        text_element("e.g. It now drafts replies customers see", max_length=CHANGE_REASON_MAX),
                        hint="Kept in the audit log and told to the team channel."),
        ],
    }


def _values(view: dict) -> dict:
    return view["state"]["values"]


def _value(values: dict, block_id: str, key: str) -> str:
    element = values.get(block_id, {}).get(block_id, {})
    found = element.get(key)
    if key == "selected_option":
        return (found or {}).get("value") or ""
    return found or ""


def _day(text: str) -> date | None:
    return date.fromisoformat(text) if text else None


def read_edit_modal(view: dict) -> tuple[int, str, date | None, str]:
    """(initiative id, risk tier, go/no-go date, why) as submitted."""
    values = _values(view)
    return (json.loads(view["private_metadata"])["initiative_id"], _value(values, Field.RISK_TIER, "selected_option"),
            _day(_value(values, Field.GO_LIVE, "selected_date")), _value(values, Field.REASON, "value"))


def build_decision_modal(initiative: Initiative, *, user_id: str, today: date,
                         decisions: list[GoDecision]) -> dict:
    """The go / no-go decision form: what, who decided, on which day, why; extending needs a new date."""
    about = [f"*{from_plain(initiative.name)}* · go/no-go date {_when(initiative.go_live_date)}"]
    if decisions:
        about.append(f"Latest decision: {OUTCOME_LABELS[GoOutcome(decisions[0].outcome)]} on "
                     f"{decisions[0].decided_on.isoformat()} (this one is added to the history).")
    outcomes = [_option(OUTCOME_LABELS[o], o.value, OUTCOME_MEANINGS[o]) for o in GoOutcome]
    return {
        "type": "modal", "callback_id": View.GO_DECISION,
        "private_metadata": json.dumps({"initiative_id": initiative.id}),
        "title": {"type": "plain_text", "text": "Go / no-go decision"},
        "submit": {"type": "plain_text", "text": "Record it"},
        "close": {"type": "plain_text", "text": "Cancel"},
        "blocks": [
            section("\n".join(about)),
            input_block(DecisionField.OUTCOME, "Decision", {"type": "radio_buttons", "options": outcomes}),
            input_block(DecisionField.DECIDED_BY, "Who decided", {"type": "users_select", "initial_user": user_id}),
            input_block(DecisionField.DECIDED_ON, "Decided on", date_element(today)),
            input_block(DecisionField.REASON, "Why",
                        text_element("The pilot's results, the risks weighed, what was agreed",
                                     max_length=DECISION_REASON_MAX)),
            input_block(DecisionField.NEW_DATE, "New go/no-go date", date_element(None), optional=True,
                        hint="Only when extending the pilot (owners only)."),
        ],
    }


def read_decision_modal(view: dict) -> tuple[int, DecisionInput]:
    values = _values(view)
    return json.loads(view["private_metadata"])["initiative_id"], DecisionInput(
        outcome=_value(values, DecisionField.OUTCOME, "selected_option"),
        decided_by=_value(values, DecisionField.DECIDED_BY, "selected_user"),
        decided_on=_day(_value(values, DecisionField.DECIDED_ON, "selected_date")),
        reason=_value(values, DecisionField.REASON, "value"),
        new_date=_day(_value(values, DecisionField.NEW_DATE, "selected_date")),
    )


def decision_lines(initiative: Initiative, decisions: list[GoDecision]) -> list[str]:
    """The go / no-go decision (newest first in `decisions`) for the summary and the status."""
    if not decisions:
        if initiative.go_live_date is None:
            return []
        return [(f"*Go/no-go date:* {initiative.go_live_date.isoformat()} · no decision recorded yet "
                 f"(`/readiness decide {from_plain(initiative.name)}`)")]
    latest = decisions[0]
    outcome = GoOutcome(latest.outcome)
    line = (f"*Go/no-go decision:* {OUTCOME_LABELS[outcome]} · decided by <@{latest.decided_by}> on "
            f"{latest.decided_on.isoformat()}")
    if outcome is GoOutcome.EXTEND and latest.new_date:
        line += f" · pilot extended to {latest.new_date.isoformat()}"
    lines = [line, f"_Why:_ {shorten(from_plain(latest.reason), REASON_SHOWN)}"]
    if len(decisions) > 1:
        earlier = ", ".join(f"{OUTCOME_LABELS[GoOutcome(d.outcome)]} on {d.decided_on.isoformat()}"
                            for d in decisions[1:4])
        more = f" and {len(decisions) - 4} more" if len(decisions) > 4 else ""
        lines.append(f"Earlier: {earlier}{more}.")
    return lines


def _approvers(tier: str, policy: ApprovalPolicy) -> str:
    labels = [policy.role_label(role).lower() for role in policy.for_tier(tier).approvers]
    return ", ".join(labels[:-1]) + f" and {labels[-1]}" if len(labels) > 1 else labels[0]


def change_lines(change: Change, framework: Framework, policy: ApprovalPolicy) -> list[str]:
    """What a change did, for the team channel: the review's questions, the verdict, a stale approval."""
    name = from_plain(change.initiative.name)
    new_tier = framework.tier_info(change.new_tier).label
    lines = []
    if change.tier_changed:
        if change.added:
            back = (f"; the {len(change.back)} not answered yet come back into the review thread" if change.back
                    else "; each was answered before")
            lines.append(f"• At {new_tier} the review asks {len(change.added)} more "
                         f"question{'s' if len(change.added) != 1 else ''}{back}.")
        if change.dropped:
            lines.append(f"• At {new_tier} {len(change.dropped)} question{'s are' if len(change.dropped) != 1 else ' is'} "
                         "no longer asked; their answers stay in the history.")
        lines.append(f"• The verdict, and what blocks release, are now judged at {new_tier}; a release "
                     f"request goes to the {_approvers(change.new_tier, policy)}.")
    if change.stale is not None:
        what = "approval" if change.stale_was is RequestStatus.APPROVED else "request waiting for approval"
        made_at = (f"at {framework.tier_info(change.stale.tier).label}" if change.tier_changed
                   else "before the date moved")
        lines.append(f"• ⚠️ The release {what}, made {made_at}, is stale: it no longer lets {name} deploy. "
                     f"Ask again with `/readiness release {name}`.")
    return lines


def build_change_announcement(change: Change, framework: Framework, policy: ApprovalPolicy) -> str:
    """The team channel's news of a change of risk tier or go/no-go date: who, from, to, why, and what it did."""
    name = from_plain(change.initiative.name)
    moved = []
    if change.tier_changed:
        moved.append(f"risk tier {framework.tier_info(change.old_tier).label} → "
                     f"{framework.tier_info(change.new_tier).label}")
    if change.date_changed:
        moved.append(f"go/no-go date {_when(change.old_date)} → {_when(change.new_date)}")
    lines = [f"🔁 <@{change.changed_by}> changed *{name}*: {' · '.join(moved)}.",
             f"_Why:_ {shorten(from_plain(change.reason), CHANGE_REASON_MAX)}",
             *change_lines(change, framework, policy)]
    return shorten("\n".join(lines), MAX_FALLBACK)


def build_decision_announcement(recorded: Recorded, framework: Framework, policy: ApprovalPolicy, *,
                                release_approved: bool) -> str:
    """The team channel's news of a go / no-go decision."""
    decision, name = recorded.decision, from_plain(recorded.initiative.name)
    outcome = GoOutcome(decision.outcome)
    recorder = "" if decision.recorded_by == decision.decided_by else f", recorded by <@{decision.recorded_by}>"
    lines = [(f"🚦 Go/no-go decision on *{name}*: {OUTCOME_LABELS[outcome]}. Decided by <@{decision.decided_by}> "
              f"on {decision.decided_on.isoformat()}{recorder}."),
             f"_Why:_ {shorten(from_plain(decision.reason), 1500)}"]
    if outcome is GoOutcome.GO and not release_approved:
        lines.append(f"• The release still needs its approvals: `/readiness release {name}`.")
    if outcome is GoOutcome.NO_GO:
        lines.append(f"• If the pilot stops for good, retire it: `/readiness retire {name}`.")
    if recorded.change is not None:
        lines.append(f"• The pilot runs until {_when(recorded.change.new_date)} "
                     f"(it was {_when(recorded.change.old_date)}).")
        lines += change_lines(recorded.change, framework, policy)
    return shorten("\n".join(lines), MAX_FALLBACK)
