"""Where each initiative stands: its stage on the way to production, with its review's summary.

Read in a fixed number of queries however many initiatives are asked about (for the portfolio and App Home).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from sqlmodel import Session, select

from bot.domain.progress import ReviewState
from bot.domain.summary import Summary, Verdict, summarize
from bot.framework import Framework
from storage.models import Answer, GoDecision, GoOutcome, Initiative, ReleaseRequest, RequestStatus, Review


class Stage(StrEnum):
    """In order along the way: a later stage wins when several apply."""

    INTAKE = "intake"  # nothing answered yet
    IN_REVIEW = "in_review"  # answering, or answered with a condition that blocks release
    READY = "ready"  # every question answered and nothing blocks release
    AWAITING_APPROVAL = "awaiting_approval"  # the newest release request waits for its approvers
    APPROVED = "approved"  # the newest release request is approved
    IN_PRODUCTION = "in_production"  # the newest go / no-go decision is go
    RETIRED = "retired"

    @property
    def label(self) -> str:
        return self.value.replace("_", " ")


@dataclass(frozen=True)
class Standing:
    stage: Stage
    summary: Summary


def stage_of(initiative: Initiative, summary: Summary, *, request: RequestStatus | None,
             decision: GoOutcome | None, touched: bool) -> Stage:
    """The stage of an initiative given its summary, its newest release request and go / no-go decision, and
    whether anything was answered (`touched`, a skip included)."""
    if initiative.retired_at is not None:
        return Stage.RETIRED
    if decision is GoOutcome.GO:
        return Stage.IN_PRODUCTION
    if request is RequestStatus.APPROVED:
        return Stage.APPROVED
    if request is RequestStatus.PENDING:
        return Stage.AWAITING_APPROVAL
    if summary.answered == summary.total and summary.verdict is not Verdict.NOT_READY:
        return Stage.READY
    return Stage.IN_REVIEW if touched else Stage.INTAKE


def standings(initiatives: Sequence[Initiative], *, session: Session, framework: Framework) -> dict[int, Standing]:
    """Each initiative's standing, by its id."""
    ids = [i.id for i in initiatives]
    if not ids:
        return {}
    reviews = {r.initiative_id: r for r in session.exec(
        select(Review).where(Review.initiative_id.in_(ids)).order_by(Review.id)).all()}  # the newest wins
    history: dict[int, list[Answer]] = {r.id: [] for r in reviews.values()}
    for answer in session.exec(select(Answer).where(Answer.review_id.in_(list(history))).order_by(Answer.id)).all():
        history[answer.review_id].append(answer)
    requests = dict(session.exec(select(ReleaseRequest.initiative_id, ReleaseRequest.status)
                                 .where(ReleaseRequest.initiative_id.in_(ids)).order_by(ReleaseRequest.id)).all())
    decisions = dict(session.exec(select(GoDecision.initiative_id, GoDecision.outcome)
                                  .where(GoDecision.initiative_id.in_(ids)).order_by(GoDecision.id)).all())
    found = {}
    for initiative in initiatives:
        review = reviews[initiative.id]
        summary = summarize(ReviewState(framework, initiative, review, history[review.id]))
        request, decision = requests.get(initiative.id), decisions.get(initiative.id)
        found[initiative.id] = Standing(stage_of(
            initiative, summary, request=RequestStatus(request) if request else None,
            decision=GoOutcome(decision) if decision else None, touched=bool(history[review.id])), summary)
    return found


def standing(initiative: Initiative, *, session: Session, framework: Framework) -> Standing:
    return standings([initiative], session=session, framework=framework)[initiative.id]

