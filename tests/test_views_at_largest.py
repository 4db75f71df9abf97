"""Every message and modal the bot sends, at its largest, within Slack's limits and free of bad copy.

Largest means: a high-tier review with every question unmet, every blocker waived, an 80-character name,
and every text people type at the longest the bot accepts. The bot has no Home tab.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache

import pytest
import yaml

from bot.ai.assist import Assessment
from bot.approval_policy import DEFAULT_POLICY_PATH, ApprovalPolicy, load_policy
from bot.domain.adoption import Trend
from bot.domain.answering import Step
from bot.domain.approvals import RequestView, RoleStatus
from bot.domain.initiatives import NAME_MAX
from bot.domain.summary import summarize
from bot.framework import DEFAULT_FRAMEWORK_PATH, Framework, load_framework
from bot.slack.ai_flow import build_proposal
from bot.slack.blocks import adoption, approvals, messages, modals
from bot.slack.blocks.adoption import STALE_TEXTS
from bot.text import from_plain
from storage.models import AnswerStatus, Decision, Outcome, ReleaseRequest, RequestStatus, Scorecard, Waiver
from tests.block_kit import FALLBACK_TEXT, copy_problems, message_problems, view_problems
from tests.builders import REVIEW_ID, WHEN, huge_framework, make_initiative, make_state

NAME = ("Supplier invoice reply assistant for accounts payable in the EMEA shared services " * 2)[:NAME_MAX]
SLACK_TEXT = 40_000  # the longest message Slack takes, so the longest evidence a thread reply can give
PURPOSE, WAIVER_REASON, REJECT_REASON, THEMES, NOTE = 3000, 1000, 2000, 1000, 3000  # the forms' max_length
REQUESTER, APPROVER = "U" + "R" * 31, "U" + "A" * 31
WEEK = date(2026, 3, 2)


def prose(length: int, seed: str = "We check every draft by hand") -> str:
    """Text of exactly `length` characters, with what needs escaping (& < >) and brackets that close."""
    sentence = f"{seed} & log it in <the runbook> (see the wiki). "
    text = (sentence * (length // len(sentence) + 1))[:length]
    return text[: text.rfind(". ") + 2].ljust(length, "x")


@dataclass(frozen=True)
class Rendered:
    """One thing the bot sends: a message (fallback text and blocks), a modal, or a plain text message."""

    text: str = ""
    blocks: list[dict] | None = None
    view: dict | None = None


def _messages(name: str, built: list[tuple[str, list[dict]]]) -> dict[str, Rendered]:
    return {f"{name} {n}" if len(built) > 1 else name: Rendered(text, blocks) for n, (text, blocks) in enumerate(built)}


def _policy(**high) -> ApprovalPolicy:
    raw = yaml.safe_load(DEFAULT_POLICY_PATH.read_text())
    raw["tiers"]["high"].update(high)
    return ApprovalPolicy.model_validate(raw)


def _request_view(framework: Framework, status: RequestStatus, *, reasons: int | None) -> RequestView:
    """A release request of the largest review with every blocker waived: `reasons` waivers (None: one each)."""
    state = _unmet(framework)
    summary = summarize(state)
    request = ReleaseRequest(
        id=9, initiative_id=1, review_id=REVIEW_ID, requested_by=REQUESTER, tier="high", verdict="Not ready",
        approvals_channel="C0APPROVALS", status=status, created_at=WHEN, expires_at=WHEN + timedelta(days=3),
        decided_at=None if status is RequestStatus.PENDING else WHEN, stale_since=WHEN,
        preread=[prose(400, f"Question {n} asks who checks it") for n in range(3)],
        reject_reason=prose(REJECT_REASON) if status is RequestStatus.REJECTED else None,
    )
    waivers = [Waiver(id=n, request_id=9, question_id=c.question.id, created_by=REQUESTER,
                      owner_id=c.owner_id if reasons is None else REQUESTER,
                      reason=prose(WAIVER_REASON, f"Reason {n % reasons if reasons else n} is that we check"),
                      due_date=date(2099, 3, 1) + timedelta(days=n % (reasons or n + 1)))
               for n, c in enumerate(summary.blockers)]
    approved = Decision(id=1, request_id=9, role="business_owner", approver_id=APPROVER, outcome=Outcome.APPROVED,
                        decided_at=WHEN)
    rejected = Decision(id=2, request_id=9, role="risk_and_compliance", approver_id=APPROVER,
                        outcome=Outcome.REJECTED, reason=prose(REJECT_REASON), decided_at=WHEN)
    roles = [RoleStatus("business_owner", "Business owner", (state.initiative.business_owner_id,), approved),
             RoleStatus("technical_owner", "Technical owner", (state.initiative.technical_owner_id,), None),
             RoleStatus("risk_and_compliance", "Risk and compliance", (),
                         rejected if status is RequestStatus.REJECTED else None)]
    return RequestView(request, state.initiative, summary, waivers, roles)


def _unmet(framework: Framework, status: AnswerStatus = AnswerStatus.NOT_YET):
    """The high-tier review with every question unmet, each with the longest evidence."""
    initiative = make_initiative("high", name=NAME, purpose=prose(PURPOSE))
    questions = framework.questions_for("high")
    return make_state(framework, "high", initiative=initiative, answers={q.id: status for q in questions},
                      evidence={q.id: prose(SLACK_TEXT, "We measured it on real invoices") for q in questions})


def _adoption() -> dict[str, Rendered]:
    initiative = make_initiative("high", name=NAME)
    most = dict(active_users=1_000_000, repeat_users=1_000_000, hours_saved=99_999.5, cycle_time_minutes=99_999.5,
                feedback_count=100_000, escalations=100_000, incidents=100_000, reported_by=REQUESTER)
    first = Scorecard(id=1, initiative_id=1, week_start=WEEK - timedelta(weeks=11), **{**most, "active_users": 0})
    card = Scorecard(id=12, initiative_id=1, week_start=WEEK, top_themes=prose(THEMES), note=prose(NOTE), **most)
    weeks = [WEEK - timedelta(weeks=n) for n in range(11, -1, -1)]
    full = Trend(weeks, [first, *([None] * 9), first, card], first)
    rendered = {
        "check-in": Rendered(*adoption.build_checkin(initiative, WEEK, reminder=False)),
        "check-in reminder": Rendered(*adoption.build_checkin(initiative, WEEK, reminder=True)),
        "digest": Rendered(*adoption.build_digest(initiative, full)),
        "digest without a report": Rendered(*adoption.build_digest(initiative, Trend(weeks, [None] * 12, None))),
        "report modal": Rendered(view=adoption.build_report_modal(
            initiative, WEEK, baseline=first,
            context_lines=adoption.build_context_lines([(prose(60, "Baseline"), prose(SLACK_TEXT)), ("Goal", None)]),
        )),
    }
    items = [prose(400, f"Condition {n} is that someone checks") for n in range(30)]
    rendered |= {f"nudge {kind.value}": Rendered(adoption.build_stale_nudge(kind, initiative, items))
                 for kind in STALE_TEXTS}
    return rendered


def _review(framework: Framework) -> dict[str, Rendered]:
    state = _unmet(framework, AnswerStatus.PARTLY)
    question = max(state.questions, key=lambda q: len(q.text) + len(q.why) + len(q.met_looks_like))
    summary = summarize(_unmet(framework))
    proposal = Step(state, question, note=prose(SLACK_TEXT, "We mostly check it"))
    return {
        "root": Rendered(*messages.build_root_message(state.initiative, framework, started_by=REQUESTER)),
        "question": Rendered(*messages.build_question_message(state, question)),
        "evidence request": Rendered(messages.build_evidence_request(
            next(q for q in state.questions if q.evidence), AnswerStatus.PARTLY)),
        "answer changed": Rendered(messages.build_answer_changed(question, AnswerStatus.MET, AnswerStatus.NOT_YET,
                                                                  REQUESTER)),
        "already answered": Rendered(messages.build_already_answered(question, AnswerStatus.MET, REQUESTER)),
        "status": Rendered(*messages.build_status_message(state)),
        "help": Rendered(*messages.build_help("I don't know `frobnicate`. Here is what I can do:")),
        "start prompt": Rendered(*messages.build_start_prompt()),
        "intake modal": Rendered(view=modals.build_intake_modal(framework, name=NAME, channel_id="C0TEAM",
                                                               team_id="T0TEAM")),
        "AI proposal": Rendered(*build_proposal(Assessment(status="partly", reason=prose(400, "It says they check"),
                                                           missing_evidence=prose(400, "A link")), proposal)),
        "AI follow-up": Rendered(*build_proposal(Assessment(status="unclear", reason="Too vague to tell.",
                                                            follow_up=prose(300, "Who checks it")), proposal)),
        **_messages("summary", messages.build_summary_messages(summary, framework,
                                                               ai_paragraph=from_plain(prose(1200)))),
    }


def _approvals(framework: Framework, policy: ApprovalPolicy) -> dict[str, Rendered]:
    state = _unmet(framework)
    summary = summarize(state)
    link = "https://example.slack.com/archives/C0TEAM/p1700000000000100"
    rendered = {
        "request modal": Rendered(view=approvals.build_request_modal(state.initiative, summary, policy)),
        "request modal over the policy's limit": Rendered(view=approvals.build_request_modal(
            state.initiative, summary, _policy(max_waivers=3))),
        "notice modal": Rendered(view=approvals.build_notice_modal("Request not sent", prose(500))),
        "reject modal": Rendered(view=approvals.build_reject_modal(9, NAME)),
    }
    for status in (RequestStatus.PENDING, RequestStatus.REJECTED):
        for reasons, label in ((None, "a waiver each"), (approvals.WAIVERS_SHOWN, "the form's waivers")):
            view = _request_view(framework, status, reasons=reasons)
            rendered[f"request message, {status.value}, {label}"] = Rendered(
                *approvals.build_request_message(view, framework, permalink=link))
    return rendered


@cache
def rendered() -> dict[str, Rendered]:
    framework = load_framework(DEFAULT_FRAMEWORK_PATH)
    huge = huge_framework()
    policy = load_policy()
    everything = {**_review(framework), **_approvals(framework, policy), **_adoption()}
    everything |= {f"{name} (300 questions)": r for name, r in {**_review(huge), **_approvals(huge, policy)}.items()}
    return everything


@pytest.mark.parametrize("name", sorted(rendered()))
def test_within_slack_limits(name):
    surface = rendered()[name]
    if surface.view is not None:
        assert view_problems(surface.view) == []
    elif surface.blocks is not None:
        assert message_problems(surface.text, surface.blocks) == []
    else:
        assert 0 < len(surface.text) <= FALLBACK_TEXT, "a plain message within the length Slack advises"


@pytest.mark.parametrize("name", sorted(rendered()))
def test_copy_reads_right(name):
    surface = rendered()[name]
    assert copy_problems(surface.view or surface.blocks or [], fallback=surface.text) == []


def test_the_request_modal_offers_every_blocker_in_every_waiver():
    for framework in (load_framework(DEFAULT_FRAMEWORK_PATH), huge_framework()):
        state = _unmet(framework)
        blockers = sorted(c.question.id for c in summarize(state).blockers)
        view = approvals.build_request_modal(state.initiative, summarize(state), load_policy())
        menus = [b["element"] for b in view["blocks"] if b.get("block_id", "").startswith("waiver_conditions:")]
        assert len(menus) == approvals.WAIVERS_SHOWN
        for menu in menus:
            assert sorted(o["value"] for g in menu["option_groups"] for o in g["options"]) == blockers
        first = [o["value"] for m in menus for o in m.get("initial_options", [])]
        assert sorted(first) == blockers, "each blocker starts in one waiver"


@pytest.mark.parametrize("reasons", [approvals.WAIVERS_SHOWN, None], ids=["the form's waivers", "a waiver each"])
def test_the_request_message_lists_every_waived_blocker_and_keeps_its_buttons(reasons):
    for framework in (load_framework(DEFAULT_FRAMEWORK_PATH), huge_framework()):
        view = _request_view(framework, RequestStatus.PENDING, reasons=reasons)
        _, blocks = approvals.build_request_message(view, framework, permalink=None)
        shown = "\n".join(b["text"]["text"] for b in blocks if b["type"] == "section")
        assert all(c.question.text[:150] in shown for c in view.summary.blockers)
        assert shown.count("*Waived until") == (reasons or len(view.summary.blockers))
        assert blocks[-1]["block_id"] == "decision"


def test_the_digest_names_each_metric_in_full():
    assert "`Cycle time (minutes per task)  " in str(rendered()["digest"].blocks)


def test_the_checks_catch_what_they_are_for():
    label = {"type": "input", "optional": True, "label": {"type": "plain_text", "text": "Note (optional)"},
             "element": {"type": "plain_text_input", "action_id": "note"}}
    cut = {"type": "section", "text": {"type": "mrkdwn", "text": "`Cycle time (minute  12`"}}
    doubled = {"type": "section", "text": {"type": "mrkdwn", "text": "I could not reach I I can't post in <#C1>.."}}
    problems = copy_problems([label, cut, doubled])
    assert any("Slack adds (optional)" in p for p in problems)
    assert any("unclosed '('" in p for p in problems)
    assert any("doubled word 'I I'" in p for p in problems) and any("doubled full stop" in p for p in problems)
    too_many = [{"type": "divider"}] * 51
    assert message_problems("text", too_many) == ["51 blocks (a message holds 1 to 50)"]
    long_option = {"type": "static_select", "action_id": "a", "placeholder": {"type": "plain_text", "text": "p"},
                   "options": [{"text": {"type": "plain_text", "text": "x" * 76}, "value": "v"}]}
    assert message_problems("text", [{"type": "actions", "elements": [long_option]}]) != []
