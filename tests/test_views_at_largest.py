"""Every message and modal the bot sends, at its largest, within Slack's limits and free of bad copy.

Largest means: a high-tier review with every question unmet, every blocker waived, an 80-character name,
and every text people type at the longest the bot accepts; the Home tab with a full page of such initiatives.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import date, timedelta
from functools import cache

import pytest
import yaml
from slack_sdk.errors import SlackApiError

from bot.ai.assist import Assessment
from bot.approval_policy import DEFAULT_POLICY_PATH, ApprovalPolicy, load_policy
from bot.domain.adoption import Trend
from bot.domain.answering import Step
from bot.domain.approvals import RequestView, RoleStatus
from bot.domain.baseline import NAME_MAX as METRIC_NAME
from bot.domain.baseline import UNIT_MAX as UNIT
from bot.domain.baseline import BaselineInput
from bot.domain.changes import REASON_MAX as CHANGE_REASON
from bot.domain.changes import Change
from bot.domain.go_decisions import REASON_MAX as DECISION_REASON
from bot.domain.go_decisions import Recorded
from bot.domain.home import PAGE_SIZE, Card, Home
from bot.domain.initiatives import NAME_MAX
from bot.domain.portfolio import Entry as PortfolioEntry
from bot.domain.portfolio import Portfolio
from bot.domain.progress import ReviewState
from bot.domain.scores import Scores
from bot.domain.stages import Stage, Standing
from bot.domain.summary import summarize
from bot.errors import SlackDeliveryError
from bot.framework import DEFAULT_FRAMEWORK_PATH, Framework, Tier, load_framework
from bot.portfolio_formula import load_portfolio
from bot.slack import files
from bot.slack.ai_flow import build_proposal
from bot.slack.blocks import adoption, approvals, checklist, messages, modals
from bot.slack.blocks import decisions as decisions_blocks
from bot.slack.blocks import summary as summary_blocks
from bot.slack.blocks import portfolio as portfolio_blocks
from bot.slack.blocks.adoption import STALE_TEXTS
from bot.slack.blocks.home import build_home
from bot.text import from_plain
from storage.models import (
    AnswerStatus,
    Baseline,
    ChangeRequest,
    Decision,
    GoDecision,
    GoOutcome,
    Outcome,
    ReleaseRequest,
    RequestStatus,
    Scorecard,
    Waiver,
    WaiverDecision,
)
from tests.block_kit import (
    FALLBACK_TEXT,
    copy_problems,
    message_problems,
    view_problems,
)
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


def _policy(**high) -> ApprovalPolicy:
    raw = yaml.safe_load(DEFAULT_POLICY_PATH.read_text())
    raw["tiers"]["high"].update(high)
    return ApprovalPolicy.model_validate(raw)


def _request_view(framework: Framework, status: RequestStatus, *, reasons: int | None) -> RequestView:
    """A release request of the largest review with every blocker waived: `reasons` waivers (None: one each).

    Every waiver accepted by one approver (with the longest rationale) and declined by another (the longest
    reason), changes asked for more often than the message shows, and a second person for the waivers.
    """
    state = _unmet(framework)
    summary = summarize(state)
    request = ReleaseRequest(
        id=9, initiative_id=1, review_id=REVIEW_ID, requested_by=REQUESTER, tier="high", verdict="Not ready",
        approvals_channel="C0APPROVALS", status=status, created_at=WHEN, expires_at=WHEN + timedelta(days=3),
        decided_at=None if status is RequestStatus.PENDING else WHEN, stale_since=WHEN,
        preread=[prose(400, f"Question {n} asks who checks it") for n in range(3)],
        reject_reason=prose(REJECT_REASON) if status is RequestStatus.REJECTED else None,
        waivers_by="technical_owner",
    )
    waivers = [Waiver(id=n, request_id=9, question_id=c.question.id, created_by=REQUESTER,
                      number=(n % reasons if reasons else n) + 1,
                      owner_id=c.owner_id if reasons is None else REQUESTER,
                      reason=prose(WAIVER_REASON, f"Reason {n % reasons if reasons else n} is that we check"),
                      due_date=date(2099, 3, 1) + timedelta(days=n % (reasons or n + 1)))
               for n, c in enumerate(summary.blockers)]
    numbers = sorted({w.number for w in waivers})
    approved = Decision(id=1, request_id=9, role="business_owner", approver_id=APPROVER, outcome=Outcome.APPROVED,
                        rationale=prose(approvals.RATIONALE_MAX, "We accept it because someone checks"),
                        decided_at=WHEN)
    rejected = Decision(id=2, request_id=9, role="risk_and_compliance", approver_id=APPROVER,
                        outcome=Outcome.REJECTED, reason=prose(REJECT_REASON), decided_at=WHEN)
    waiver_decisions = [
        *(WaiverDecision(id=n, request_id=9, number=n, role="business_owner", decided_by=APPROVER, accepted=True,
                         decided_at=WHEN) for n in numbers),
        *(WaiverDecision(id=1000 + n, request_id=9, number=n, role="technical_owner", decided_by=REQUESTER,
                         accepted=False, reason=prose(approvals.DECLINE_MAX, "We decline it since nobody checks"),
                         decided_at=WHEN) for n in numbers),
    ]
    changes = [ChangeRequest(id=n, request_id=9, approver_id=APPROVER, requested_at=WHEN,
                             what=prose(approvals.CHANGES_MAX, f"Change {n} is that someone checks"))
               for n in range(approvals.CHANGES_SHOWN + 2)]
    roles = [RoleStatus("business_owner", "Business owner", (state.initiative.business_owner_id,), approved),
             RoleStatus("technical_owner", "Technical owner", (state.initiative.technical_owner_id,), None),
             RoleStatus("risk_and_compliance", "Risk and compliance", (),
                         rejected if status is RequestStatus.REJECTED else None),
             RoleStatus("waivers", "Technical owner, for the waivers", (state.initiative.technical_owner_id,), None,
                        drawn_from="technical_owner")]
    evidence = {e.question_id: e.text for e in state.evidence}
    return RequestView(request, state.initiative, summary, waivers, roles, evidence, waiver_decisions, changes)


def _unmet(framework: Framework, status: AnswerStatus = AnswerStatus.NOT_YET, *, evidence: bool = True):
    """The high-tier review with every question unmet (or as `status` says), each with the longest evidence unless
    not `evidence`."""
    initiative = make_initiative("high", name=NAME, purpose=prose(PURPOSE))
    questions = framework.questions_for("high")
    return make_state(framework, "high", initiative=initiative, answers={q.id: status for q in questions},
                      evidence={q.id: prose(SLACK_TEXT, "We measured it on real invoices") for q in questions}
                      if evidence else None)


def _adoption() -> dict[str, Rendered]:
    initiative = make_initiative("high", name=NAME)
    most = dict(active_users=1_000_000, repeat_users=1_000_000, hours_saved=99_999.5, cycle_time_minutes=99_999.5,
                feedback_count=100_000, escalations=100_000, incidents=100_000, reported_by=REQUESTER,
                tasks_handled=10_000_000, error_rate=99.99, cost_per_task=999_999.99, north_star=-999_999_999.99,
                guardrail_1=999_999_999.99, guardrail_2=-999_999_999.99)
    first = Scorecard(id=1, initiative_id=1, week_start=WEEK - timedelta(weeks=11), **{**most, "active_users": 0})
    card = Scorecard(id=12, initiative_id=1, week_start=WEEK, top_themes=prose(THEMES), note=prose(NOTE), **most)
    weeks = [WEEK - timedelta(weeks=n) for n in range(11, -1, -1)]
    full = Trend(weeks, [first, *([None] * 9), first, card], first, _largest_baseline())
    rendered = {
        "check-in": Rendered(*adoption.build_checkin(initiative, WEEK, reminder=False)),
        "check-in reminder": Rendered(*adoption.build_checkin(initiative, WEEK, reminder=True)),
        "reported check-in": Rendered(*adoption.build_reported_checkin(initiative, WEEK, REQUESTER)),
        "digest": Rendered(*adoption.build_digest(initiative, full)),
        "digest without a report": Rendered(*adoption.build_digest(initiative, Trend(weeks, [None] * 12, None))),
        "report modal": Rendered(view=adoption.build_report_modal(
            initiative, WEEK, baseline=first, before_ai=_largest_baseline(), checkin=("D" + "9" * 31, "9" * 17),
            context_lines=adoption.build_context_lines([(prose(60, "Baseline"), prose(SLACK_TEXT)), ("Goal", None)]),
        )),
        "baseline modal": Rendered(view=adoption.build_baseline_modal(initiative,
                                                                      BaselineInput.of(_largest_baseline()))),
    }
    items = [prose(400, f"Condition {n} is that someone checks") for n in range(30)]
    rendered |= {f"nudge {kind.value}": Rendered(adoption.build_stale_nudge(kind, initiative, items))
                 for kind in STALE_TEXTS}
    return rendered


def _largest_baseline() -> Baseline:
    """A baseline with every number at its largest, and the longest metric names and units."""
    metric = {}
    for key, value, direction in (("north_star", "baseline", "higher"), ("guardrail_1", "threshold", "lower"),
                                  ("guardrail_2", "threshold", "higher")):
        metric |= {f"{key}_name": prose(METRIC_NAME, f"The {key} counts invoices"), f"{key}_unit": prose(UNIT, "%"),
                   f"{key}_direction": direction, f"{key}_{value}": 999_999_999.99 * (-1 if key == "north_star" else 1)}
    return Baseline(id=1, initiative_id=1, time_per_task_minutes=99_999.99, volume_per_week=9_999_999.99,
                    error_rate=99.99, cost_per_task=999_999.99, recorded_by=REQUESTER, recorded_at=WHEN, **metric)


def _pilot(framework: Framework, policy: ApprovalPolicy) -> dict[str, Rendered]:
    """The forms and news of a pilot's course: a change of tier and date, go / no-go decisions."""
    state = _unmet(framework)
    initiative = state.initiative
    decisions = [GoDecision(id=n, initiative_id=1, outcome=outcome, decided_by=APPROVER, decided_on=date(2099, 1, n),
                            reason=prose(DECISION_REASON, f"Decision {n} weighed the pilot"),
                            for_date=date(2098, 12, 31), new_date=date(2099, 12, 31), recorded_by=REQUESTER)
                 for n, outcome in enumerate([GoOutcome.EXTEND, *GoOutcome, *GoOutcome], start=1)]
    stale = ReleaseRequest(id=9, initiative_id=1, review_id=REVIEW_ID, requested_by=REQUESTER, tier="low",
                           verdict="Ready", approvals_channel="C0APPROVALS", status=RequestStatus.STALE,
                           created_at=WHEN, expires_at=WHEN)
    questions = framework.questions_for("high")
    change = Change(initiative, REQUESTER, prose(CHANGE_REASON, "We now answer customers"), "low", date(2026, 6, 1),
                    stale=stale, stale_was=RequestStatus.APPROVED, added=questions, dropped=questions,
                    back=questions)
    recorded = Recorded(decisions[0], initiative, change)
    summary = summarize(state)
    return {
        "edit modal": Rendered(view=decisions_blocks.build_edit_modal(initiative, framework)),
        "decision modal": Rendered(view=decisions_blocks.build_decision_modal(
            initiative, user_id=REQUESTER, today=WEEK, decisions=decisions)),
        "change announcement": Rendered(decisions_blocks.build_change_announcement(change, framework, policy)),
        "decision announcement": Rendered(decisions_blocks.build_decision_announcement(
            recorded, framework, policy, release_approved=False)),
        "status with decisions": Rendered(*messages.build_status_message(state, decisions=decisions)),
        "summary with decisions": Rendered(*summary_blocks.build_summary(
            summary, framework, ai_paragraph=from_plain(prose(1200)), decisions=decisions)),
        "summary preview with decisions": Rendered(*summary_blocks.build_summary_preview(
            summary, framework, decisions=decisions)),
    }


def _review(framework: Framework) -> dict[str, Rendered]:
    state = _unmet(framework, AnswerStatus.PARTLY)
    question = max(state.questions, key=lambda q: len(q.text) + len(q.why) + len(q.met_looks_like))
    summary = summarize(_unmet(framework))
    proposal = Step(state, question, note=prose(SLACK_TEXT, "We mostly check it"))
    return {
        "root": Rendered(*messages.build_root_message(state.initiative, framework, review_id=REVIEW_ID,
                                                      started_by=REQUESTER, in_dm=False)),
        "root, asking by DM": Rendered(*messages.build_root_message(state.initiative, framework, review_id=REVIEW_ID,
                                                                    started_by=REQUESTER, in_dm=True)),
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
        "summary": Rendered(*summary_blocks.build_summary(summary, framework, ai_paragraph=from_plain(prose(1200)))),
        "summary, full list": Rendered(view=summary_blocks.build_full_list(summary, framework)),
        "summary, full list of answers met without evidence": Rendered(view=summary_blocks.build_full_list(
            summarize(_unmet(framework, AnswerStatus.MET, evidence=False)), framework)),
    }


def _owner_of_everything(framework: Framework) -> ReviewState:
    """The largest review with one person as both owners, so every question falls to them, each answered Partly by
    a person with the longest id, with the longest evidence (of the wrong kind where it asks for a link, a number or
    a person, so the evidence ask shows too)."""
    state = _unmet(framework, AnswerStatus.PARTLY)
    state.initiative.technical_owner_id = state.initiative.business_owner_id
    for answer in state.history:
        answer.answered_by = REQUESTER
    return state


def _checklists(framework: Framework) -> dict[str, Rendered]:
    """Every checklist message of the owner of every question, answered and not, in the thread and by DM."""
    answered = _owner_of_everything(framework)
    rendered = {}
    for label, state in (("answered", answered), ("unanswered", replace(answered, history=[], evidence_history=[]))):
        for in_dm in (False, True):
            for person, part, questions in checklist.parts(state):
                rendered[f"checklist {label}{', by DM' if in_dm else ''}, part {part + 1}"] = Rendered(
                    *checklist.build_checklist(state, person, questions, part=part, in_dm=in_dm))
    return rendered


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
        "changes modal": Rendered(view=approvals.build_changes_modal(9, NAME)),
    }
    for status in (RequestStatus.PENDING, RequestStatus.REJECTED):
        for reasons, label in ((None, "a waiver each"), (approvals.WAIVERS_SHOWN, "the form's waivers")):
            view = _request_view(framework, status, reasons=reasons)
            rendered[f"request message, {status.value}, {label}"] = Rendered(
                *approvals.build_request_message(view, framework, permalink=link))
    view = _request_view(framework, RequestStatus.PENDING, reasons=approvals.WAIVERS_SHOWN)
    rendered |= {
        "approve modal": Rendered(view=approvals.build_approve_modal(view, view.roles)),
        "declined notice": Rendered(approvals.build_declined_notice(view, view.declined(), REQUESTER)),
        "changes notice": Rendered(approvals.build_changes_notice(view, view.changes[-1])),
    }
    return rendered


def _home(framework: Framework) -> dict[str, Rendered]:
    """A middle page of App Home, full of the largest cards: every blocker a gap, a release request to decide, the
    largest numbers, everything due, every button; with the note that Slack would not list the person's channels."""
    summary = summarize(_unmet(framework))
    week = Scorecard(id=1, initiative_id=1, week_start=WEEK, active_users=1_000_000, repeat_users=1_000_000,
                     hours_saved=99_999.5, cycle_time_minutes=99_999.5, feedback_count=100_000, escalations=100_000,
                     incidents=100_000, reported_by=REQUESTER)
    request = ReleaseRequest(id=9, initiative_id=1, review_id=REVIEW_ID, requested_by=REQUESTER, tier="high",
                             verdict="Not ready", approvals_channel="C0APPROVALS", expires_at=WHEN)
    cards = []
    for number in range(PAGE_SIZE):
        initiative = make_initiative("high", name=NAME)
        initiative.id = number + 1
        cards.append(Card(initiative, Stage.AWAITING_APPROVAL, met=0, asked=summary.total, gaps=summary.blockers,
                          week=WEEK, scorecard=week, deciding=request, report_due=True, yours=len(summary.conditions),
                          review_open=True))
    full = Home(cards, page=3, pages=9, total=9 * PAGE_SIZE - 1, channels_known=False)
    return {"home, a full page": Rendered(view=build_home(full, framework)),
            "home, nothing yet": Rendered(view=build_home(Home([], 0, 1, 0, False), framework))}


class _NoDM:
    """A Slack client that may not open DMs: the portfolio then says why its CSV did not come."""

    def conversations_open(self, **_):
        raise SlackApiError("refused", {"ok": False, "error": "missing_scope"})


def _portfolio(framework: Framework) -> dict[str, Rendered]:
    """The portfolio of more initiatives than it lists, ranked and unscored, each with the longest name full of what
    needs escaping, counts in the thousands, and the CSV not sent; one initiative alone; the score form."""
    summary = summarize(_unmet(framework))
    name = prose(NAME_MAX, "R&D <assist>")
    entries = []
    for number in range(1, 301):
        initiative = make_initiative("high", name=name)
        initiative.id, initiative.value_score, initiative.feasibility_score, initiative.risk_score = number, 5, 4, 3
        entries.append(PortfolioEntry(initiative, Standing(Stage.AWAITING_APPROVAL, summary), 13.416407865))
    unscored = [PortfolioEntry(e.initiative, e.standing, None) for e in entries]
    crowd = {stage: 10_000 for stage in Stage}, {tier: 10_000 for tier in Tier}
    try:
        files.send_to(_NoDM(), REQUESTER, [], comment="")
    except SlackDeliveryError as failed:
        not_sent = str(failed)
    formula = load_portfolio()
    return {
        "portfolio at its largest": Rendered(*portfolio_blocks.build_portfolio_message(
            Portfolio(formula, entries, unscored, *crowd), csv_sent=not_sent)),
        "portfolio of one": Rendered(*portfolio_blocks.build_portfolio_message(
            Portfolio(formula, entries[:1], [], *crowd), csv_sent="The full list, as a CSV, is in your DM with me.")),
        "score modal": Rendered(view=portfolio_blocks.build_score_modal(
            NAME, 1, Scores(5, 5, 5), formula=formula.describe())),
    }


@cache
def rendered() -> dict[str, Rendered]:
    framework = load_framework(DEFAULT_FRAMEWORK_PATH)
    huge = huge_framework()
    policy = load_policy()
    everything = {**_review(framework), **_checklists(framework), **_approvals(framework, policy), **_adoption(),
                  **_pilot(framework, policy), **_home(framework)}
    everything |= _portfolio(framework)
    everything |= {f"{name} (300 questions)": r for name, r in {**_review(huge), **_checklists(huge),
                                                                 **_approvals(huge, policy), **_pilot(huge, policy),
                                                                 **_home(huge)}.items()}
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


def test_the_owner_of_every_question_gets_each_once_in_full_checklists():
    state = _owner_of_everything(huge_framework())
    built = [checklist.build_checklist(state, person, questions, part=part, in_dm=False)
             for person, part, questions in checklist.parts(state)]
    assert len(built) == -(-300 // checklist.PER_MESSAGE), "a message holds at most PER_MESSAGE questions"
    rows = [b for _, blocks in built for b in blocks if b["type"] == "actions"]
    assert [r["block_id"] for r in rows] == [f"answer_{q.id}" for q in state.questions]
    lines = [b["text"]["text"] for _, blocks in built for b in blocks[1:] if b["type"] == "section"]
    assert [int(line.split(".", 1)[0].strip("*")) for line in lines] == list(range(1, 301))
    assert all(f"by <@{REQUESTER}>" in line and "📎" in line for line in lines)
    assert all(text.startswith(f"300 questions for <@{state.initiative.business_owner_id}>") for text, _ in built)


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
        assert all(c.question.text[:50] in shown for c in view.summary.blockers)
        assert len(re.findall(r"^\*Waiver \d+\*", shown, re.MULTILINE)) == (reasons or len(view.summary.blockers))
        assert shown.count("Declined by") == (reasons or len(view.summary.blockers))
        assert blocks[-1]["block_id"] == "decision"
        if framework.questions_for("high") == load_framework(DEFAULT_FRAMEWORK_PATH).questions_for("high"):
            evidence = len(re.findall(r"^    Evidence: We measured it on real invoices", shown, re.MULTILINE))
            assert evidence == len(view.summary.blockers), "the shipped framework shows every blocker's evidence"


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
