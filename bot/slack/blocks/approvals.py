"""Release approval surfaces: the request modal with its waivers, the request message, the reject modal."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date

from bot.approval_policy import ApprovalPolicy
from bot.domain.approvals import (
    CHANGES,
    RATIONALE,
    RequestView,
    RoleStatus,
    WaiverChoice,
    WaiverInput,
    accept_field,
    decline_field,
    too_many_blockers,
    waiver_field,
)
from bot.domain.summary import Condition, Summary, describe
from bot.framework import Framework
from bot.slack.blocks.inputs import date_element, input_block, text_element
from bot.slack.blocks.limits import (
    MAX_BLOCKS,
    MAX_FALLBACK,
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
from bot.text import from_model, from_plain, from_slack, shorten
from storage.models import (
    ChangeRequest,
    Initiative,
    Outcome,
    RequestStatus,
    WaiverDecision,
)

WAIVERS_SHOWN = 10  # waivers in the form; each covers any number of blockers
WAIVER_BLOCKS = 5  # a divider and four inputs
LIST_CHARS = 60_000  # the form's numbered list of blockers shortens its lines to stay within about 20 sections
REASON = "reason"
ACCEPT, DECLINE = "accept", "decline"
RATIONALE_MAX, DECLINE_MAX, CHANGES_MAX = 2000, 1000, 2000  # what the approvers' forms accept
CHANGES_SHOWN = 3  # the newest change requests shown on the request


@dataclass(frozen=True)
class Widths:
    """How much of each text the request message shows; shorter only when everything won't fit."""

    question: int
    evidence: int  # 0: no evidence shown
    reason: int  # a waiver's reason, and why one was declined


WIDTHS = (Widths(300, 600, 1000), Widths(200, 300, 300), Widths(150, 150, 150), Widths(100, 80, 100),
          Widths(80, 40, 60), Widths(60, 0, 40))
STATUS_ICONS = {RequestStatus.PENDING: "⏳", RequestStatus.APPROVED: "✅", RequestStatus.REJECTED: "❌",
                RequestStatus.EXPIRED: "⌛", RequestStatus.STALE: "♻️"}


def build_request_modal(initiative: Initiative, summary: Summary, policy: ApprovalPolicy) -> dict:
    """The request form: who will be asked, and waivers (reason, owner, due date) that cover every blocker.

    One waiver can cover several blockers. Blockers are numbered in a list; each waiver picks them from a
    menu. When there are few blockers each starts in a waiver of its own, else in one waiver per owner,
    with empty waivers below for other reasons, owners or dates.
    """
    tier = policy.for_tier(initiative.risk_tier)
    approvers = ", ".join(policy.role_label(r).lower() for r in tier.approvers)
    second = ""
    if need := tier.waivers_need:
        label = policy.role_label(need)
        who = f"someone from {label}" if need in policy.groups else f"the {label.lower()}"
        second = f" If you would approve it alone, your waivers also need {who} to accept them."
    blocks = [
        section(f"*{from_plain(initiative.name)}* · verdict {VERDICT_LABELS[summary.verdict]}\n"
                f"Approvers at this risk tier: {approvers}.{second}"),
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
        # Slack may leave each empty (an unused waiver is); the rest is checked when the form is sent
        input_block(waiver_field(key, "conditions"), f"Waiver {key}: the conditions it covers", menu, optional=True),
        input_block(waiver_field(key, "reason"), "Why releasing without them is acceptable for now",
                    text_element("e.g. the AP lead checks every draft by hand until then", max_length=1000),
                    optional=True),
        input_block(waiver_field(key, "owner"), "Who will meet them", owner, optional=True),
        input_block(waiver_field(key, "due"), "Met by", date_element(None), optional=True),
    ]


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
    """Every copy of a request (approvals channel, DMs): what the approvers decide on, who decided what, buttons.

    Each blocker is listed under the waiver proposed for it, with its latest evidence. When everything will
    not fit in one message, evidence, reasons and question texts get shorter: no blocker is ever left out.
    """
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
    if view.changes:
        shown = view.changes[-CHANGES_SHOWN:]
        earlier = len(view.changes) - len(shown)
        after += packed_sections([f"*Changes requested ({len(view.changes)})*",
                                  *(_change_line(c) for c in shown),
                                  *([f"_…and {earlier} earlier._"] if earlier else [])])
    after += packed_sections(["*Approvers*", *(_role_line(r, view) for r in view.roles)])
    if status is RequestStatus.PENDING:
        after.append(_decision_buttons(view))
    else:
        outcome = {RequestStatus.APPROVED: "Approved", RequestStatus.REJECTED: "Rejected",
                   RequestStatus.EXPIRED: "Expired",
                   RequestStatus.STALE: "Stale: the risk tier or go/no-go date changed since; ask again"}[status]
        when = request.decided_at.strftime("%Y-%m-%d %H:%M UTC") if request.decided_at else ""
        after.append(context(f"{STATUS_ICONS[status]} *{outcome}* {when}"))
    listed = []
    for widths in WIDTHS if view.summary.conditions else ():  # the conditions fill the room the rest leaves
        listed = packed_sections(_condition_lines(view, widths))
        if len(head) + len(listed) + len(after) <= MAX_BLOCKS:
            break
    blocks = split_messages([*head, *listed, *after], MAX_BLOCKS)[0]
    text = f"{STATUS_ICONS[status]} Release approval for {name}: {status.value}"
    return text, blocks


def _condition_lines(view: RequestView, widths: Widths) -> list[str]:
    """Each blocker numbered, with its evidence, under the waiver proposed for it; then what does not block."""
    blockers = view.summary.blockers
    number = {c.question.id: n for n, c in enumerate(blockers, 1)}
    lines = [f"*Blocking conditions ({len(blockers)})*: each with its evidence and the waiver proposed"]
    lines = lines if blockers else []
    waived: set[str] = set()
    for group in view.groups:
        covered = [c for c in blockers if c.question.id in group.question_ids]
        waived.update(c.question.id for c in covered)
        terms = (f"*Waiver {group.number}* · owner <@{group.owner_id}> · met by {group.due_date.isoformat()}: "
                 f"{shorten(from_plain(group.reason), widths.reason)}")
        lines.append("\n    ".join([terms, *_waiver_decision_lines(view, group.number, widths)]))
        lines += [_blocker_line(c, number[c.question.id], view, widths) for c in covered]
        if not covered:
            lines.append("• _Its conditions no longer block release._")
    if not_waived := [c for c in blockers if c.question.id not in waived]:
        if view.groups:
            lines.append(f"*Not waived ({len(not_waived)})*")
        lines += [_blocker_line(c, number[c.question.id], view, widths) for c in not_waived]
    if others := [c for c in view.summary.conditions if not c.blocking]:
        lines.append(f"*Unmet, not blocking ({len(others)})*")
        lines += [f"• {status_label(c.status)}: {shorten(c.question.text, widths.question)}" for c in others]
    return lines


def _blocker_line(condition: Condition, number: int, view: RequestView, widths: Widths) -> str:
    line = f"• *{number}.* {status_label(condition.status)}: {shorten(condition.question.text, widths.question)}"
    if not widths.evidence:
        return line
    evidence = view.evidence.get(condition.question.id)
    if evidence is None:
        return f"{line}\n    _No evidence recorded._"
    return f"{line}\n    Evidence: {shorten(' '.join(from_slack(evidence).split()), widths.evidence)}"


def _waiver_decision_lines(view: RequestView, number: int, widths: Widths) -> list[str]:
    """Who accepted this waiver, and who declined it and why."""
    mine = [d for d in view.waiver_decisions if d.number == number]
    labels = {r.role: r.label.lower() for r in view.roles}
    lines = []
    if accepted := [d for d in mine if d.accepted]:
        lines.append("✅ Accepted by " + ", ".join(f"<@{d.decided_by}> ({labels.get(d.role, d.role)})"
                                                     for d in accepted))
    lines += [f"❌ Declined by <@{d.decided_by}> ({labels.get(d.role, d.role)}): "
              f"{shorten(from_plain(d.reason or ''), widths.reason)}" for d in mine if not d.accepted]
    return lines


def _change_line(change: ChangeRequest) -> str:
    when = change.requested_at.strftime("%Y-%m-%d %H:%M UTC") if change.requested_at else ""
    return f"🔁 <@{change.approver_id}> · {when}: {shorten(from_plain(change.what), 500)}"


def _role_line(role: RoleStatus, view: RequestView) -> str:
    who = " or ".join(f"<@{p}>" for p in role.people) or f"a member of {role.label}"
    decision = role.decision
    if decision is None:
        declined = sorted({d.number for d in view.waiver_decisions if d.role == role.role and not d.accepted})
        if declined:
            by = next(d.decided_by for d in view.waiver_decisions if d.role == role.role and not d.accepted)
            return f"⛔ {role.label}: <@{by}> declined waiver {_and(declined)}, so nothing counts yet"
        return f"⏳ {role.label}: {who}"
    when = decision.decided_at.strftime("%Y-%m-%d %H:%M UTC")
    if decision.outcome == Outcome.APPROVED:
        line = f"✅ {role.label}: approved by <@{decision.approver_id}> · {when}"
        if decision.rationale:
            line += f"\n    Rationale: {shorten(from_plain(decision.rationale), 500)}"
        return line
    reason = shorten(from_plain(decision.reason or ""), 500)
    return f"❌ {role.label}: rejected by <@{decision.approver_id}> · {when}\n    Reason: {reason}"


def _and(numbers: list[int]) -> str:
    words = [str(n) for n in numbers]
    return ", ".join(words[:-1]) + f" and {words[-1]}" if len(words) > 1 else words[0]


def _decision_buttons(view: RequestView) -> dict:
    return {"type": "actions", "block_id": "decision", "elements": decision_buttons(view.request.id)}


def decision_buttons(request_id: int) -> list[dict]:
    """Approve, Request changes and Reject on one release request (on its copies, and in App Home)."""
    value = str(request_id)
    approve = {"type": "button", "action_id": Action.APPROVE, "value": value, "style": "primary",
               "text": {"type": "plain_text", "text": "Approve"}}
    changes = {"type": "button", "action_id": Action.REQUEST_CHANGES, "value": value,
               "text": {"type": "plain_text", "text": "Request changes"}}
    reject = {"type": "button", "action_id": Action.REJECT, "value": value, "style": "danger",
              "text": {"type": "plain_text", "text": "Reject"}}
    return [approve, changes, reject]


def build_approve_modal(view: RequestView, roles: list[RoleStatus]) -> dict:
    """Approving with waivers or at "Not ready": accept or decline each waiver, and say why releasing is acceptable."""
    request = view.request
    blockers = view.summary.blockers
    number = {c.question.id: n for n, c in enumerate(blockers, 1)}
    text = {c.question.id: c.question.text for c in blockers}
    as_roles = " and ".join(r.label.lower() for r in roles) or "an approver"
    blocks = [section(f"*{from_plain(view.initiative.name)}* · verdict at request "
                      f"{VERDICT_LABELS.get(request.verdict, request.verdict)}\nYou decide as {as_roles}.")]
    groups = view.groups
    if groups:
        blocks.append(context("Accept or decline each waiver. If you decline one, your approval does not count: "
                              "the requester is told which waiver and why, and the request stays open."))
    question_width = max(60, min(300, 2400 // max(1, max((len(g.question_ids) for g in groups), default=1))))
    for group in groups:
        covered = [q for q in group.question_ids if q in number]
        lines = [f"*Waiver {group.number}* · owner <@{group.owner_id}> · met by {group.due_date.isoformat()}",
                 f"> {shorten(' '.join(from_plain(group.reason).split()), 1000)}",
                 *(f"• *{number[q]}.* {shorten(text[q], question_width)}" for q in covered)]
        blocks.append(section("\n".join(lines)))
        blocks.append({
            "type": "input", "block_id": accept_field(group.number),
            "label": {"type": "plain_text", "text": f"Waiver {group.number}"},
            "element": {"type": "radio_buttons", "action_id": accept_field(group.number), "options": [
                {"text": {"type": "plain_text", "text": "Accept"}, "value": ACCEPT},
                {"text": {"type": "plain_text", "text": "Decline"}, "value": DECLINE},
            ]},
        })
        blocks.append({
            "type": "input", "block_id": decline_field(group.number), "optional": True,
            "label": {"type": "plain_text", "text": f"If you decline waiver {group.number}: why"},
            "element": {"type": "plain_text_input", "action_id": decline_field(group.number), "multiline": True,
                        "max_length": DECLINE_MAX},
        })
    why = "with these waivers" if view.waivers else "at a “Not ready” verdict"
    blocks.append({
        "type": "input", "block_id": RATIONALE, "optional": not view.needs_rationale,
        "label": {"type": "plain_text", "text": f"Why releasing {why} is acceptable"},
        "hint": {"type": "plain_text", "text": "Recorded with your approval and shown to the team and auditors."},
        "element": {"type": "plain_text_input", "action_id": RATIONALE, "multiline": True, "max_length": RATIONALE_MAX},
    })
    return {
        "type": "modal", "callback_id": View.APPROVE, "private_metadata": str(request.id),
        "title": {"type": "plain_text", "text": "Approve release"},
        "submit": {"type": "plain_text", "text": "Send decision"},
        "close": {"type": "plain_text", "text": "Cancel"},
        "blocks": blocks,
    }


def read_approve_modal(view: dict) -> tuple[int, str, dict[int, WaiverChoice]]:
    """The request, the rationale and the choice on each waiver shown (None where none was made)."""
    values = view["state"]["values"]

    def state(field: str) -> dict:
        return values.get(field, {}).get(field) or {}

    prefix = accept_field(0).removesuffix("0")
    choices = {}
    for block in view["blocks"]:
        if (block_id := block.get("block_id", "")).startswith(prefix):
            number = int(block_id.removeprefix(prefix))
            picked = (state(block_id).get("selected_option") or {}).get("value")
            choices[number] = WaiverChoice(accepted=None if picked is None else picked == ACCEPT,
                                           reason=state(decline_field(number)).get("value") or "")
    return int(view["private_metadata"]), state(RATIONALE).get("value") or "", choices


def build_changes_modal(request_id: int, initiative_name: str) -> dict:
    return {
        "type": "modal", "callback_id": View.REQUEST_CHANGES, "private_metadata": str(request_id),
        "title": {"type": "plain_text", "text": "Request changes"},
        "submit": {"type": "plain_text", "text": "Send"},
        "close": {"type": "plain_text", "text": "Cancel"},
        "blocks": [
            section(f"Asking for changes before you decide on the release of *{from_plain(initiative_name)}*. The "
                    "requester and the team channel will see what you write. The request stays open: you can "
                    "approve or reject it later."),
            {"type": "input", "block_id": CHANGES, "label": {"type": "plain_text", "text": "What must change"},
             "element": {"type": "plain_text_input", "action_id": CHANGES, "multiline": True,
                         "max_length": CHANGES_MAX}},
        ],
    }


def read_changes_modal(view: dict) -> tuple[int, str]:
    what = view["state"]["values"].get(CHANGES, {}).get(CHANGES, {}).get("value") or ""
    return int(view["private_metadata"]), what


def build_declined_notice(view: RequestView, declined: list[WaiverDecision], user_id: str) -> str:
    """To the requester: which waiver was declined, by whom and why, and what that means."""
    name = from_plain(view.initiative.name)
    groups = {g.number: g for g in view.groups}
    questions = {c.question.id: c.question.text for c in view.summary.conditions}
    lines = [(f"⛔ <@{user_id}> declined a waiver of your release request for *{name}*, so their approval does not "
              "count. Meet the conditions it covers, or answer their reason and ask them to decide again.")]
    numbers = sorted({d.number for d in declined})
    room = (MAX_FALLBACK - len(lines[0]) - 100) // len(numbers) - 60  # each waiver's share of the message
    for number in numbers:
        reason = next(d.reason for d in declined if d.number == number)
        covered = "; ".join(f"“{shorten(questions.get(q, q), 150)}”" for q in groups[number].question_ids)
        lines.append(f"• *Waiver {number}*: {shorten(from_plain(reason or ''), room * 2 // 3)}\n"
                     f"    It covers {shorten(covered, room // 3)}")
    return shorten("\n".join(lines), MAX_FALLBACK)


def build_changes_notice(view: RequestView, change: ChangeRequest) -> str:
    """To the requester and the team channel: what an approver asks to change; the request stays open."""
    return shorten(f"🔁 <@{change.approver_id}> asks for changes before deciding on the release of "
                   f"*{from_plain(view.initiative.name)}*: {from_plain(change.what)}\nThe request stays open; "
                   "they can approve or reject it later.", MAX_FALLBACK)


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
