"""Release approval surfaces: the request modal with its waivers, the request message, the reject modal."""

from __future__ import annotations

import json
from datetime import date

from bot.approval_policy import ApprovalPolicy
from bot.domain.approvals import RequestView, RoleStatus, WaiverInput, too_many_blockers, waiver_field
from bot.domain.summary import Condition, Summary, describe
from bot.framework import Framework
from bot.slack.blocks.limits import (
    MAX_BLOCKS,
    MAX_OPTION_TEXT,
    MAX_OPTIONS,
    MAX_VIEW_BLOCKS,
    context,
    packed_sections,
    section,
    split_messages,
)
from bot.slack.blocks.messages import VERDICT_LABELS, status_label
from bot.slack.ids import Action, View
from bot.text import from_model, from_plain, shorten
from storage.models import Initiative, Outcome, RequestStatus, Waiver

WAIVERS_SHOWN = 10  # waivers in the form; each covers any number of blockers
WAIVER_BLOCKS = 5  # a divider and four inputs
LIST_CHARS = 60_000  # the form's numbered list of blockers shortens its lines to stay within about 20 sections
REASON_WIDTHS = (1000, 300, 100)  # a waiver's reason in the request message; shorter only when many won't fit
REASON = "reason"
STATUS_ICONS = {RequestStatus.PENDING: "⏳", RequestStatus.APPROVED: "✅", RequestStatus.REJECTED: "❌",
                RequestStatus.EXPIRED: "⌛"}


def build_request_modal(initiative: Initiative, summary: Summary, policy: ApprovalPolicy) -> dict:
    """The request form: who will be asked, and waivers (reason, owner, due date) that cover every blocker.

    One waiver can cover several blockers. Blockers are numbered in a list; each waiver picks them from a
    menu. When there are few blockers each starts in a waiver of its own, else in one waiver per owner,
    with empty waivers below for other reasons, owners or dates.
    """
    tier = policy.for_tier(initiative.risk_tier)
    approvers = ", ".join(policy.role_label(r).lower() for r in tier.approvers)
    blocks = [
        section(f"*{from_plain(initiative.name)}* · verdict {VERDICT_LABELS[summary.verdict]}\n"
                f"Approvers at this risk tier: {approvers}."),
        context(from_plain(policy.texts.why)),
    ]
    blockers = summary.blockers
    view = {
        "type": "modal", "callback_id": View.RELEASE_REQUEST,
        "private_metadata": json.dumps({"initiative_id": initiative.id}),
        "title": {"type": "plain_text", "text": "Request release"},
        "close": {"type": "plain_text", "text": "Cancel"},
    }
    if not tier.may_waive(len(blockers)):
        blocks.append(section(f"⛔ {too_many_blockers(len(blockers), tier.max_waivers)}"))
        return {**view, "blocks": blocks}
    if blockers:
        many = len(blockers) != 1
        blocks += packed_sections([
            f"*{len(blockers)} condition{'s' if many else ''} block{'' if many else 's'} release.* Each needs a "
            "waiver: why releasing without it is acceptable for now, who will meet it and by when. One waiver "
            "can cover several conditions.",
            *_numbered(blockers),
        ])
        options = _options(blockers)
        groups = _option_groups(summary, options)
        shown = min(WAIVERS_SHOWN, (MAX_VIEW_BLOCKS - len(blocks)) // WAIVER_BLOCKS)
        for n, covered in enumerate(_first_waivers(blockers, shown), 1):
            blocks += _waiver_inputs(str(n), groups, [options[c.question.id] for c in covered],
                                     covered[0].owner_id if covered else None)
    return {**view, "blocks": blocks, "submit": {"type": "plain_text", "text": "Send request"}}


def _numbered(blockers: list[Condition]) -> list[str]:
    width = max(60, min(300, LIST_CHARS // len(blockers) - 40))
    return [f"*{n}.* {status_label(c.status)}: {shorten(c.question.text, width)}" for n, c in enumerate(blockers, 1)]


def _options(blockers: list[Condition]) -> dict[str, dict]:
    """A menu option per blocker, by question id, numbered as in the form's list."""
    return {c.question.id: {"text": {"type": "plain_text", "text": shorten(f"{n}. {c.question.text}", MAX_OPTION_TEXT)},
                            "value": c.question.id}
            for n, c in enumerate(blockers, 1)}


def _option_groups(summary: Summary, options: dict[str, dict]) -> list[dict]:
    """The blockers' options grouped by area (at most 100 a group), as Slack's menus allow."""
    groups = []
    for progress in summary.areas:
        mine = [options[c.question.id] for c in summary.blockers if c.question.area == progress.area.id]
        label = {"type": "plain_text", "text": shorten(progress.area.name, MAX_OPTION_TEXT)}
        groups += [{"label": label, "options": mine[start : start + MAX_OPTIONS]}
                   for start in range(0, len(mine), MAX_OPTIONS)]
    return groups


def _first_waivers(blockers: list[Condition], shown: int) -> list[list[Condition]]:
    """What each of the waivers shown covers when the form opens: a blocker each if they fit, else an owner's."""
    if len(blockers) <= shown:
        return [[c] for c in blockers]
    by_owner: dict[str, list[Condition]] = {}
    for condition in blockers:
        by_owner.setdefault(condition.owner_id, []).append(condition)
    return [*by_owner.values(), *([] for _ in range(shown - len(by_owner)))]


def _waiver_inputs(key: str, groups: list[dict], covered: list[dict], owner_id: str | None) -> list[dict]:
    """One waiver's inputs, covering the given options at first and naming their owner."""
    menu = {"type": "multi_static_select", "option_groups": groups,
            "placeholder": {"type": "plain_text", "text": "Pick the conditions by number"}}
    owner = {"type": "users_select"}
    if covered:
        menu["initial_options"] = covered
    if owner_id:
        owner["initial_user"] = owner_id
    return [
        {"type": "divider"},
        _input(waiver_field(key, "conditions"), f"Waiver {key}: the conditions it covers", menu),
        _input(waiver_field(key, "reason"), "Why releasing without them is acceptable for now", {
            "type": "plain_text_input", "multiline": True, "max_length": 1000,
            "placeholder": {"type": "plain_text", "text": "e.g. the AP lead checks every draft by hand until then"},
        }),
        _input(waiver_field(key, "owner"), "Who will meet them", owner),
        _input(waiver_field(key, "due"), "Met by", {"type": "datepicker"}),
    ]


def _input(block_id: str, label: str, element: dict) -> dict:
    """An input Slack lets be empty: an unused waiver is; the rest is checked when the form is sent."""
    return {"type": "input", "block_id": block_id, "optional": True,
            "label": {"type": "plain_text", "text": label}, "element": {**element, "action_id": block_id}}


def read_request_modal(view: dict) -> tuple[int, list[WaiverInput]]:
    values = view["state"]["values"]

    def state(key: str, part: str) -> dict:
        field = waiver_field(key, part)
        return values.get(field, {}).get(field) or {}

    prefix = waiver_field("", "conditions")
    waivers = []
    for key in (b["block_id"].removeprefix(prefix) for b in view["blocks"] if b.get("block_id", "").startswith(prefix)):
        due = state(key, "due").get("selected_date")
        waivers.append(WaiverInput(
            key=key, question_ids=tuple(o["value"] for o in state(key, "conditions").get("selected_options") or []),
            reason=state(key, "reason").get("value") or "", owner_id=state(key, "owner").get("selected_user") or "",
            due_date=date.fromisoformat(due) if due else None,
        ))
    return json.loads(view["private_metadata"])["initiative_id"], waivers


def build_notice_modal(title: str, text: str) -> dict:
    return {"type": "modal", "title": {"type": "plain_text", "text": title},
            "close": {"type": "plain_text", "text": "Close"}, "blocks": [section(text)]}


def build_request_message(view: RequestView, framework: Framework, *, permalink: str | None) -> tuple[str, list[dict]]:
    """Every copy of a request (approvals channel, DMs): what is asked, who decided, buttons while pending."""
    request, initiative = view.request, view.initiative
    tier = framework.tier_info(request.tier)
    status = RequestStatus(request.status)
    name = from_plain(initiative.name)
    link = f" · <{permalink}|the review>" if permalink else ""
    heading = [f"*Release approval: {name}*",
               f"Risk tier {tier.label} · verdict at request {VERDICT_LABELS.get(request.verdict, request.verdict)}"
               f" · asked by <@{request.requested_by}>{link}"]
    if request.stale_since and status is RequestStatus.PENDING:
        heading.append("⚠️ Answers changed after approval: the approvers concerned are asked again.")
    head, after = packed_sections(heading), []
    if request.preread:
        source = describe(view.summary)
        after += packed_sections(["*🤖 Pre-read (AI-written): questions a sceptical approver would ask*",
                                  *(f"{n}. {from_model(shorten(q, 300), source=source)}"
                                    for n, q in enumerate(request.preread, 1))])
    after += packed_sections(["*Approvers*", *(_role_line(r) for r in view.roles)])
    if status is RequestStatus.PENDING:
        after.append(_decision_buttons(view))
    else:
        outcome = {RequestStatus.APPROVED: "Approved", RequestStatus.REJECTED: "Rejected",
                   RequestStatus.EXPIRED: "Expired"}[status]
        when = request.decided_at.strftime("%Y-%m-%d %H:%M UTC") if request.decided_at else ""
        after.append(context(f"{STATUS_ICONS[status]} *{outcome}* {when}"))
    unmet, listed = view.summary.conditions, []
    for width in REASON_WIDTHS if unmet else ():  # the unmet conditions fill the room the rest leaves
        listed = packed_sections([f"*Unmet conditions ({len(unmet)})*", *_unmet_lines(unmet, view.waivers, width)])
        if len(head) + len(listed) + len(after) <= MAX_BLOCKS:
            break
    blocks = split_messages([*head, *listed, *after], MAX_BLOCKS)[0]
    text = f"{STATUS_ICONS[status]} Release approval for {name}: {status.value}"
    return text, blocks


def _unmet_lines(unmet: list[Condition], waivers: list[Waiver], width: int) -> list[str]:
    """The waived conditions under their waiver (shared reason, owner and date), then those not waived."""
    terms = {w.question_id: (w.reason, w.owner_id, w.due_date) for w in waivers}
    by_waiver: dict[tuple | None, list[Condition]] = {}
    for condition in unmet:
        by_waiver.setdefault(terms.get(condition.question.id), []).append(condition)
    lines = []
    for waiver, conditions in by_waiver.items():
        if waiver is None:
            continue
        reason, owner_id, due = waiver
        lines.append(f"*Waived until {due.isoformat()}, owner <@{owner_id}>:* {shorten(from_plain(reason), width)}")
        lines += map(_unmet_line, conditions)
    if others := by_waiver.get(None):
        if waivers:
            lines.append(f"*Not waived ({len(others)})*")
        lines += map(_unmet_line, others)
    return lines


def _unmet_line(condition: Condition) -> str:
    return f"• {status_label(condition.status)}: {shorten(condition.question.text, 200)}"


def _role_line(role: RoleStatus) -> str:
    who = " or ".join(f"<@{p}>" for p in role.people) or f"a member of {role.label}"
    decision = role.decision
    if decision is None:
        return f"⏳ {role.label}: {who}"
    when = decision.decided_at.strftime("%Y-%m-%d %H:%M UTC")
    if decision.outcome == Outcome.APPROVED:
        return f"✅ {role.label}: approved by <@{decision.approver_id}> · {when}"
    reason = shorten(from_plain(decision.reason or ""), 500)
    return f"❌ {role.label}: rejected by <@{decision.approver_id}> · {when}\n    Reason: {reason}"


def _decision_buttons(view: RequestView) -> dict:
    value = str(view.request.id)
    approve = {"type": "button", "action_id": Action.APPROVE, "value": value, "style": "primary",
               "text": {"type": "plain_text", "text": "Approve"}}
    if view.waivers:
        names = "; ".join(shorten(_question_text(view, w.question_id), 60) for w in view.waivers)
        approve["confirm"] = {
            "title": {"type": "plain_text", "text": "Approve with waivers?"},
            "text": {"type": "plain_text", "text": shorten(f"You accept releasing with {len(view.waivers)} waived "
                                                           f"condition(s): {names}", 300)},
            "confirm": {"type": "plain_text", "text": "Approve"},
            "deny": {"type": "plain_text", "text": "Cancel"},
        }
    reject = {"type": "button", "action_id": Action.REJECT, "value": value, "style": "danger",
              "text": {"type": "plain_text", "text": "Reject"}}
    return {"type": "actions", "block_id": "decision", "elements": [approve, reject]}


def _question_text(view: RequestView, question_id: str) -> str:
    return next((c.question.text for c in view.summary.conditions if c.question.id == question_id), question_id)


def build_reject_modal(request_id: int, initiative_name: str) -> dict:
    return {
        "type": "modal", "callback_id": View.REJECT_REASON, "private_metadata": str(request_id),
        "title": {"type": "plain_text", "text": "Reject release"},
        "submit": {"type": "plain_text", "text": "Reject"},
        "close": {"type": "plain_text", "text": "Cancel"},
        "blocks": [
            section(f"Rejecting the release of *{from_plain(initiative_name)}*. The team will see your reason."),
            {"type": "input", "block_id": REASON, "label": {"type": "plain_text", "text": "Reason"},
             "element": {"type": "plain_text_input", "action_id": REASON, "multiline": True, "max_length": 2000}},
        ],
    }


def read_reject_modal(view: dict) -> tuple[int, str]:
    reason = view["state"]["values"].get(REASON, {}).get(REASON, {}).get("value") or ""
    return int(view["private_metadata"]), reason
