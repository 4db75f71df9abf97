"""Release approval surfaces: the request modal with its waivers, the request message, the reject modal."""

from __future__ import annotations

import json
from datetime import date

from bot.approval_policy import ApprovalPolicy
from bot.domain.approvals import RequestView, RoleStatus, WaiverInput, waiver_field
from bot.domain.summary import Summary, describe
from bot.framework import Framework
from bot.slack.blocks.limits import MAX_BLOCKS, context, packed_sections, section, split_messages
from bot.slack.blocks.messages import VERDICT_LABELS, status_label
from bot.slack.ids import Action, View
from bot.text import from_model, from_plain, shorten
from storage.models import Initiative, Outcome, RequestStatus

MAX_WAIVERS = 30  # three inputs each, inside a modal's 100 blocks
REASON = "reason"
STATUS_ICONS = {RequestStatus.PENDING: "⏳", RequestStatus.APPROVED: "✅", RequestStatus.REJECTED: "❌",
                RequestStatus.EXPIRED: "⌛"}


def build_request_modal(initiative: Initiative, summary: Summary, policy: ApprovalPolicy) -> dict:
    """The request form: who will be asked, and a waiver (reason, owner, due date) for each blocker."""
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
    if len(blockers) > MAX_WAIVERS:
        blocks.append(section(f"⛔ {len(blockers)} conditions block release at this tier. Meet some of them "
                              f"before asking: one request can waive at most {MAX_WAIVERS}."))
        return {**view, "blocks": blocks}
    if blockers:
        blocks.append(section(f"*{len(blockers)} conditions block release.* Each needs a waiver: why it is "
                              "acceptable for now, who will meet it, and by when."))
    for condition in blockers:
        qid = condition.question.id
        label = shorten(condition.question.text, 140)
        blocks += [
            {"type": "divider"},
            _input(waiver_field(qid, "reason"), f"Waive: {label}", {
                "type": "plain_text_input", "multiline": True, "max_length": 1000,
                "placeholder": {"type": "plain_text", "text": f"{status_label(condition.status)} · why release anyway?"},
            }),
            _input(waiver_field(qid, "owner"), "Who will meet it",
                   {"type": "users_select", "initial_user": condition.owner_id}),
            _input(waiver_field(qid, "due"), "Met by", {"type": "datepicker"}),
        ]
    return {**view, "blocks": blocks, "submit": {"type": "plain_text", "text": "Send request"}}


def _input(block_id: str, label: str, element: dict) -> dict:
    return {"type": "input", "block_id": block_id, "optional": True,
            "label": {"type": "plain_text", "text": label}, "element": {**element, "action_id": block_id}}


def read_request_modal(view: dict) -> tuple[int, list[WaiverInput]]:
    values = view["state"]["values"]
    by_question: dict[str, dict] = {}
    for block_id, elements in values.items():
        part, _, question_id = block_id.partition(":")
        state = elements.get(block_id, {})
        by_question.setdefault(question_id, {})[part] = (
            state.get("value") or state.get("selected_user") or state.get("selected_date") or ""
        )
    waivers = [
        WaiverInput(question_id=qid, reason=parts.get("waiver_reason", ""), owner_id=parts.get("waiver_owner", ""),
                    due_date=date.fromisoformat(parts["waiver_due"]) if parts.get("waiver_due") else None)
        for qid, parts in by_question.items()
    ]
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
    head = [f"*Release approval: {name}*",
            f"Risk tier {tier.label} · verdict at request {VERDICT_LABELS.get(request.verdict, request.verdict)} · "
            f"asked by <@{request.requested_by}>{link}"]
    if request.stale_since and status is RequestStatus.PENDING:
        head.append("⚠️ Answers changed after approval: the approvers concerned are asked again.")
    blocks = packed_sections(head)
    unmet = view.summary.conditions
    if unmet:
        waived = {w.question_id: w for w in view.waivers}
        lines = [f"*Unmet conditions ({len(unmet)})*"]
        for c in unmet:
            line = f"• {status_label(c.status)}: {shorten(c.question.text, 200)}"
            if w := waived.get(c.question.id):
                line += (f"\n    Waived: {shorten(from_plain(w.reason), 300)} · <@{w.owner_id}> by "
                         f"{w.due_date.isoformat()}")
            lines.append(line)
        blocks += packed_sections(lines)
    if request.preread:
        source = describe(view.summary)
        blocks += packed_sections(["*🤖 Pre-read (AI-written): questions a sceptical approver would ask*",
                                   *(f"{n}. {from_model(shorten(q, 300), source=source)}"
                                     for n, q in enumerate(request.preread, 1))])
    blocks += packed_sections(["*Approvers*", *(_role_line(r) for r in view.roles)])
    if status is RequestStatus.PENDING:
        blocks.append(_decision_buttons(view))
    else:
        outcome = {RequestStatus.APPROVED: "Approved", RequestStatus.REJECTED: "Rejected",
                   RequestStatus.EXPIRED: "Expired"}[status]
        when = request.decided_at.strftime("%Y-%m-%d %H:%M UTC") if request.decided_at else ""
        blocks.append(context(f"{STATUS_ICONS[status]} *{outcome}* {when}"))
    blocks = split_messages(blocks, MAX_BLOCKS)[0]
    text = f"{STATUS_ICONS[status]} Release approval for {name}: {status.value}"
    return text, blocks


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
