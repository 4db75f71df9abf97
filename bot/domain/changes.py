"""After intake, the owners change the risk tier and the go/no-go date.

A change is audited with who, from, to and why. A release request made before it (approved or still waiting)
turns stale: it no longer lets the system deploy, and the next request is routed by the tier as it is now. A new
tier also changes which questions the review asks: new ones not answered yet come back into the review, and
answers to questions no longer asked stay in the history.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from sqlmodel import Session, select

from bot.clock import earliest_date
from bot.domain import audit
from bot.domain.initiatives import latest_review
from bot.domain.progress import ReviewState
from bot.errors import FieldErrors, InitiativeGone, MrkdwnError
from bot.framework import Framework, Question, Tier
from bot.text import from_plain
from storage.db import moment
from storage.models import (
    AnswerStatus,
    Initiative,
    ReleaseRequest,
    RequestStatus,
    ReviewStatus,
)

REASON_MAX = 500


class ChangeErrors(FieldErrors):
    """Why a change cannot be saved, keyed by form field: risk_tier, go_live_date or reason."""


@dataclass
class Change:
    """What a change of risk tier or go/no-go date did."""

    initiative: Initiative
    changed_by: str
    reason: str
    old_tier: str
    old_date: date | None
    stale: ReleaseRequest | None = None  # the request it made stale
    stale_was: RequestStatus | None = None  # approved or pending, before it turned stale
    added: list[Question] = field(default_factory=list)  # asked at the new tier and not at the old one
    dropped: list[Question] = field(default_factory=list)  # no longer asked
    back: list[Question] = field(default_factory=list)  # added and not answered yet: back into the review
    completed: bool = False  # the change left nothing to ask: the review is complete
    review_id: int | None = None

    @property
    def new_tier(self) -> str:
        return self.initiative.risk_tier

    @property
    def new_date(self) -> date | None:
        return self.initiative.go_live_date

    @property
    def tier_changed(self) -> bool:
        return self.old_tier != self.new_tier

    @property
    def date_changed(self) -> bool:
        return self.old_date != self.new_date


def is_owner(initiative: Initiative, user_id: str) -> bool:
    return user_id in (initiative.business_owner_id, initiative.technical_owner_id)


def owners_only(initiative: Initiative) -> str:
    """Mrkdwn: who may change the tier or date, and so whom to ask."""
    return (f"Only the owners of {from_plain(initiative.name)} can change its risk tier or go/no-go date: ask its "
            f"business owner <@{initiative.business_owner_id}> or technical owner <@{initiative.technical_owner_id}>.")


def refusal(initiative: Initiative, user_id: str, *, session: Session) -> str | None:
    """Why this person may not change the tier or date (audited), or None for the business and technical owner."""
    if is_owner(initiative, user_id):
        return None
    audit.record(session=session, kind="refused_owners_only", actor=user_id, workspace_id=initiative.workspace_id,
                 initiative_id=initiative.id, attempted="edit")
    return owners_only(initiative)


def validate(initiative: Initiative, *, tier: str, go_live_date: date | None, reason: str,
             now: datetime) -> dict[str, str]:
    """Field errors for a change; empty when it may be saved. Tier and date are checked as at intake."""
    errors: dict[str, str] = {}
    if tier not in {t.value for t in Tier}:
        errors["risk_tier"] = "Choose a risk tier."
    if go_live_date and go_live_date != initiative.go_live_date and go_live_date < earliest_date(now):
        errors["go_live_date"] = "The go/no-go date is in the past."
    if not reason.strip():
        errors["reason"] = "Say why, for the audit log and the team."
    elif len(reason.strip()) > REASON_MAX:
        errors["reason"] = f"Keep it to {REASON_MAX} characters."
    if not errors and tier == initiative.risk_tier and go_live_date == initiative.go_live_date:
        errors["risk_tier"] = "Nothing changed: pick another risk tier or go/no-go date."
    return errors


def change(initiative_id: int, *, tier: str, go_live_date: date | None, reason: str, user_id: str,
           session: Session, framework: Framework, now: datetime, by_owner: bool = True) -> Change:
    """Change the risk tier and/or the go/no-go date; ChangeErrors if the form is not valid.

    `by_owner`: only the owners may (a go/no-go decision to extend the pilot checks this itself).
    """
    initiative = session.exec(select(Initiative).where(Initiative.id == initiative_id).with_for_update()).first()
    if initiative is None:
        raise InitiativeGone()
    if by_owner and not is_owner(initiative, user_id):
        raise MrkdwnError(owners_only(initiative))
    errors = validate(initiative, tier=tier, go_live_date=go_live_date, reason=reason, now=now)
    if errors:
        raise ChangeErrors(errors)
    result = Change(initiative, user_id, reason.strip(), initiative.risk_tier, initiative.go_live_date)
    initiative.risk_tier, initiative.go_live_date = tier, go_live_date
    session.add(initiative)
    session.flush()
    if result.tier_changed:
        audit.record(session=session, kind="risk_tier_changed", actor=user_id, initiative_id=initiative.id,
                     previous=result.old_tier, tier=tier, reason=result.reason)
    if result.date_changed:
        audit.record(session=session, kind="go_live_date_changed", actor=user_id, initiative_id=initiative.id,
                     previous=_iso(result.old_date), date=_iso(go_live_date), reason=result.reason)
    _make_stale(result, session=session, now=now)
    if result.tier_changed:
        _rescope_review(result, session=session, framework=framework)
    return result


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day else None


def _make_stale(result: Change, *, session: Session, now: datetime) -> None:
    """The newest release request, approved or waiting, was made at the old tier or date: it turns stale."""
    request = session.exec(
        select(ReleaseRequest).where(ReleaseRequest.initiative_id == result.initiative.id)
        .order_by(ReleaseRequest.id.desc()).with_for_update()
    ).first()
    if request is None or request.status not in (RequestStatus.PENDING, RequestStatus.APPROVED):
        return
    result.stale, result.stale_was = request, RequestStatus(request.status)
    request.status = RequestStatus.STALE
    request.stale_since = request.decided_at = now
    session.add(request)
    session.flush()
    cause = "risk_tier_changed" if result.tier_changed else "go_live_date_changed"
    audit.record(session=session, kind="approval_stale", actor=result.changed_by, initiative_id=result.initiative.id,
                 request_id=request.id, cause=cause, was=result.stale_was.value, tier=request.tier)


def _rescope_review(result: Change, *, session: Session, framework: Framework) -> None:
    """The review asks the new tier's questions: new unanswered ones come back; dropped ones are no longer asked."""
    review = latest_review(result.initiative, session=session)
    state = ReviewState.load(review.id, session=session, framework=framework, lock=True)
    before = {q.id for q in framework.questions_for(result.old_tier)}
    now_asked = {q.id for q in state.questions}
    result.review_id = review.id
    result.added = [q for q in state.questions if q.id not in before]
    result.dropped = [q for q in framework.questions_for(result.old_tier) if q.id not in now_asked]
    result.back = [q for q in result.added if state.status(q.id) in (None, AnswerStatus.SKIPPED)]
    review = state.review
    if not state.open_questions():
        if review.status != ReviewStatus.COMPLETE:
            review.status = ReviewStatus.COMPLETE
            result.completed = True
    else:
        review.status = ReviewStatus.IN_PROGRESS
    review.updated_at = moment(session)
    session.add(review)
    session.flush()


def stale_why(request: ReleaseRequest, initiative: Initiative) -> str:
    """Why a stale request no longer counts, worded for "The newest release request for X …"."""
    ask = f"ask again with `/readiness release {initiative.name}`"
    if request.tier != initiative.risk_tier:
        return f"was made at risk tier {request.tier}, and the tier is {initiative.risk_tier} now: {ask}"
    return f"was made before the go/no-go date changed: {ask}"
