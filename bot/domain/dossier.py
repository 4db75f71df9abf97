"""Everything stored for one initiative, as a JSON-ready dict of a documented, stable shape: what
`readiness-bot show NAME --json` prints, and what the audit export is built from.

The shape (SCHEMA): times are ISO 8601 in UTC, dates ISO 8601, people Slack user ids; answers come in the
framework's order and adoption by week, every other list oldest first. A key is never removed or renamed within a
schema version; new keys may be added.

- ``schema``: "readiness-bot/initiative/1"; ``generated_at``
- ``initiative``: id, team_id, name, purpose, data_sources, integrations, business_owner, technical_owner,
  risk_tier, channel, go_live_date, created_by, created_at, retired_at, snoozed_until
- ``scores``: value, feasibility, risk (1 to 5, null until scored), scored_by, scored_at
- ``stage``: intake, in_review, ready, awaiting_approval, approved, in_production or retired
- ``review``: id, framework, framework_version, status, thread_ts, started_at, updated_at, summary_posted_at,
  verdict, answered, asked (questions at the current tier), blocking (question ids that block release)
- ``answers``: one per question asked at the current tier or ever answered, in the framework's order:
  question_id, area, question, standards [{tag, label}], asked, blocks_release, status (null: not answered),
  answered_by, answered_at, source (button, reply, reply_edited, skip, ai_confirmed, ai_changed), evidence (the
  current evidence) [{text, provided_by, provided_at}], evidence_history (all of it, also what an edited or deleted
  reply withdrew) [{text, provided_by, provided_at, withdrawn_at (null while current)}] and history [{status,
  answered_by, answered_at, source}]
- ``release_requests``: id, requested_by, requested_at, tier, verdict, status, approvals_channel, expires_at,
  reminded_at, decided_at, stale_since, reject_reason, waivers_by, preread (the AI's questions), waivers [{number,
  question_ids, reason, owner, due_date, created_by, created_at}], decisions [{role, approver, outcome, reason,
  rationale, decided_at, superseded_at}], waiver_decisions [{number, role, decided_by, accepted, reason,
  decided_at, superseded_at}], change_requests [{approver, what, requested_at}]
- ``refused_attempts``: at, actor, kind (refused_access, approval_refused, refused_owners_only), attempted, why,
  request_id
- ``ai_proposals`` (decided by a person): at, decided_by, question_id, outcome (confirmed, changed),
  prompt_version, reason
- ``model_calls``: purpose, prompt_version, model, tokens_in, tokens_out, latency_ms, outcome, created_at
- ``go_decisions``: outcome (go, no_go, extend), decided_by, decided_on, reason, for_date, new_date, recorded_by,
  recorded_at
- ``baselines``: time_per_task_minutes, volume_per_week, error_rate, cost_per_task, and name, unit, direction and
  baseline (north_star_…) or threshold (guardrail_1_…, guardrail_2_…) of each metric, recorded_by, recorded_at
- ``adoption``: each weekly report, by week (a week's reports in the order sent): week_start, active_users,
  repeat_users, hours_saved, cycle_time_minutes, feedback_count, top_themes, escalations, incidents, tasks_handled,
  error_rate, cost_per_task, north_star, guardrail_1, guardrail_2, note, reported_by, reported_at, current (false
  once the week was reported again)
- ``nudges``: kind, week_start, recipient, status, error, sent_at
- ``audit_log``: at, actor, kind, detail (everything the audit log holds for the initiative)
"""

from __future__ import annotations

from datetime import date, datetime
from enum import Enum
from typing import Any

from sqlmodel import Session, SQLModel, select

from bot.ai.overrides import KIND as AI_PROPOSAL_DECIDED
from bot.domain.approvals import waiver_groups
from bot.domain.initiatives import latest_review
from bot.domain.progress import ReviewState
from bot.domain.stages import standing
from bot.domain.summary import summarize
from bot.framework import Framework, Question
from storage.models import (
    AuditEvent,
    Baseline,
    ChangeRequest,
    Decision,
    Evidence,
    GoDecision,
    Initiative,
    ModelCall,
    NudgeLog,
    ReleaseRequest,
    Scorecard,
    Waiver,
    WaiverDecision,
    Workspace,
    as_utc,
)

SCHEMA = "readiness-bot/initiative/1"
REFUSED_KINDS = ("refused_access", "approval_refused", "refused_owners_only")


def plain(value: Any) -> Any:
    """A stored value as JSON has it: times in UTC and dates in ISO 8601, enums by their value."""
    if isinstance(value, datetime):
        return as_utc(value).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    return value


def _row(row: SQLModel, *drop: str) -> dict[str, Any]:
    """A stored row's columns (but its id and those dropped), in the table's order."""
    return {c.name: plain(getattr(row, c.name)) for c in row.__table__.columns if c.name not in ("id", *drop)}


def _rows(session: Session, model: type[SQLModel], *where, drop: tuple[str, ...] = ()) -> list[dict[str, Any]]:
    return [_row(row, *drop) for row in session.exec(select(model).where(*where).order_by(model.id)).all()]


def dossier(initiative: Initiative, *, session: Session, framework: Framework, now: datetime) -> dict[str, Any]:
    """Everything stored for the initiative, in the module's documented shape."""
    review = latest_review(initiative, session=session)
    state = ReviewState.load(review.id, session=session, framework=framework)
    summary = summarize(state)
    events = session.exec(select(AuditEvent).where(AuditEvent.initiative_id == initiative.id)
                          .order_by(AuditEvent.id)).all()
    return {
        "schema": SCHEMA,
        "generated_at": plain(now),
        "initiative": _initiative(initiative, session=session),
        "scores": {"value": initiative.value_score, "feasibility": initiative.feasibility_score,
                   "risk": initiative.risk_score, "scored_by": initiative.scored_by,
                   "scored_at": plain(initiative.scored_at)},
        "stage": standing(initiative, session=session, framework=framework).stage.value,
        "review": {
            "id": review.id, "framework": framework.name, "framework_version": review.framework_version,
            "status": plain(review.status), "thread_ts": review.thread_ts, "started_at": plain(review.created_at),
            "updated_at": plain(review.updated_at), "summary_posted_at": plain(review.summary_posted_at),
            "verdict": summary.verdict.value, "answered": summary.answered, "asked": summary.total,
            "blocking": [c.question.id for c in summary.blockers],
        },
        "answers": _answers(state),
        "release_requests": [_request(r, session=session) for r in session.exec(
            select(ReleaseRequest).where(ReleaseRequest.initiative_id == initiative.id).order_by(ReleaseRequest.id))],
        "refused_attempts": [{"at": plain(e.created_at), "actor": e.actor, "kind": e.kind,
                              "attempted": e.detail.get("attempted") or e.detail.get("outcome"),
                              "why": e.detail.get("why"), "request_id": e.detail.get("request_id")}
                             for e in events if e.kind in REFUSED_KINDS],
        "ai_proposals": [{"at": plain(e.created_at), "decided_by": e.actor, "question_id": e.detail.get("question_id"),
                          "outcome": e.detail.get("outcome"), "prompt_version": e.detail.get("prompt_version"),
                          "reason": e.detail.get("reason") or ""}
                         for e in events if e.kind == AI_PROPOSAL_DECIDED],
        "model_calls": _rows(session, ModelCall, ModelCall.initiative_id == initiative.id,
                             drop=("workspace_id", "initiative_id")),
        "go_decisions": _rows(session, GoDecision, GoDecision.initiative_id == initiative.id, drop=("initiative_id",)),
        "baselines": _rows(session, Baseline, Baseline.initiative_id == initiative.id, drop=("initiative_id",)),
        "adoption": _adoption(initiative, session=session),
        "nudges": _rows(session, NudgeLog, NudgeLog.initiative_id == initiative.id, drop=("initiative_id", "key")),
        "audit_log": [{"at": plain(e.created_at), "actor": e.actor, "kind": e.kind, "detail": e.detail}
                      for e in events],
    }


def _initiative(initiative: Initiative, *, session: Session) -> dict[str, Any]:
    i = initiative
    return {
        "id": i.id, "team_id": session.get(Workspace, i.workspace_id).team_id, "name": i.name, "purpose": i.purpose,
        "data_sources": i.data_sources, "integrations": i.integrations, "business_owner": i.business_owner_id,
        "technical_owner": i.technical_owner_id, "risk_tier": i.risk_tier, "channel": i.channel_id,
        "go_live_date": plain(i.go_live_date), "created_by": i.created_by, "created_at": plain(i.created_at),
        "retired_at": plain(i.retired_at), "snoozed_until": plain(i.snoozed_until),
    }


def _answers(state: ReviewState) -> list[dict[str, Any]]:
    touched = {a.question_id for a in state.history} | {e.question_id for e in state.evidence_history}
    asked = {q.id for q in state.questions}
    shown = [q.id for q in state.framework.questions if q.id in asked or q.id in touched]
    shown += sorted(touched - set(shown))  # answered under an earlier framework that no longer has them
    return [_answer(state, question_id, state.framework.question(question_id)) for question_id in shown]


def _answer(state: ReviewState, question_id: str, question: Question | None) -> dict[str, Any]:
    latest = state.latest(question_id)
    return {
        "question_id": question_id,
        "area": state.framework.area(question.area).name if question else None,
        "question": question.text if question else None,
        "standards": [{"tag": str(ref), "label": ref.label} for ref in question.standards] if question else [],
        "asked": state.question(question_id) is not None,
        "blocks_release": bool(question and question.blocks_at(state.tier)),
        "status": plain(latest.status) if latest else None,
        "answered_by": latest.answered_by if latest else None,
        "answered_at": plain(latest.answered_at) if latest else None,
        "source": latest.source if latest else None,
        "evidence": [_evidence(e) for e in state.evidence_for(question_id)],
        "evidence_history": [{**_evidence(e), "withdrawn_at": plain(e.withdrawn_at)}
                             for e in state.evidence_history if e.question_id == question_id],
        "history": [{"status": plain(a.status), "answered_by": a.answered_by, "answered_at": plain(a.answered_at),
                     "source": a.source} for a in state.history if a.question_id == question_id],
    }


def _evidence(row: Evidence) -> dict[str, Any]:
    return {"text": row.text, "provided_by": row.provided_by, "provided_at": plain(row.provided_at)}


def _request(request: ReleaseRequest, *, session: Session) -> dict[str, Any]:
    waivers = session.exec(select(Waiver).where(Waiver.request_id == request.id).order_by(Waiver.id)).all()
    first = {}
    for waiver in waivers:
        first.setdefault(waiver.number, waiver)
    return {
        "id": request.id, "requested_by": request.requested_by, "requested_at": plain(request.created_at),
        "tier": request.tier, "verdict": request.verdict, "status": plain(request.status),
        "approvals_channel": request.approvals_channel, "expires_at": plain(request.expires_at),
        "reminded_at": plain(request.reminded_at), "decided_at": plain(request.decided_at),
        "stale_since": plain(request.stale_since), "reject_reason": request.reject_reason,
        "waivers_by": request.waivers_by, "preread": request.preread,
        "waivers": [{"number": g.number, "question_ids": list(g.question_ids), "reason": g.reason, "owner": g.owner_id,
                     "due_date": plain(g.due_date), "created_by": first[g.number].created_by,
                     "created_at": plain(first[g.number].created_at)} for g in waiver_groups(list(waivers))],
        "decisions": [{"role": d.role, "approver": d.approver_id, "outcome": plain(d.outcome), "reason": d.reason,
                       "rationale": d.rationale, "decided_at": plain(d.decided_at),
                       "superseded_at": plain(d.superseded_at)}
                      for d in session.exec(select(Decision).where(Decision.request_id == request.id)
                                            .order_by(Decision.id))],
        "waiver_decisions": _rows(session, WaiverDecision, WaiverDecision.request_id == request.id,
                                  drop=("request_id",)),
        "change_requests": [{"approver": c.approver_id, "what": c.what, "requested_at": plain(c.requested_at)}
                            for c in session.exec(select(ChangeRequest).where(ChangeRequest.request_id == request.id)
                                                  .order_by(ChangeRequest.id))],
    }


def _adoption(initiative: Initiative, *, session: Session) -> list[dict[str, Any]]:
    cards = session.exec(select(Scorecard).where(Scorecard.initiative_id == initiative.id)
                         .order_by(Scorecard.week_start, Scorecard.id)).all()
    newest = {card.week_start: card.id for card in cards}
    return [{**_row(card, "initiative_id"), "current": newest[card.week_start] == card.id} for card in cards]
