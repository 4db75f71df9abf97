"""The go / no-go decision on a pilot: go, no-go or extend the pilot, with who decided, on which day and why.

Decisions are never updated: a new one is added to the history and the newest counts. Extending the pilot moves
the go/no-go date (a change like the owners' own: audited, and a release request made before turns stale). Once
a go or no-go is recorded for the go/no-go date in force, the pilot-past-its-date nudge stops.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from sqlmodel import Session, select

from bot.clock import earliest_date
from bot.domain import audit, changes
from bot.domain.changes import Change
from bot.errors import FieldErrors, InitiativeGone
from bot.framework import Framework
from bot.text import shorten
from storage.models import GoDecision, GoOutcome, Initiative

REASON_MAX = 2000
_USER_ID_PREFIXES = ("U", "W")


class DecisionErrors(FieldErrors):
    """The decision form's fields that are wrong: outcome, decided_by, decided_on, reason or new_date."""


@dataclass(frozen=True)
class DecisionInput:
    outcome: str
    decided_by: str
    decided_on: date | None
    reason: str
    new_date: date | None = None


@dataclass
class Recorded:
    decision: GoDecision
    initiative: Initiative
    change: Change | None = None  # extending the pilot moved the go/no-go date


def latest_date(moment: datetime) -> date:
    """The date in the first timezone to reach it (UTC+14): no one anywhere is on a later day yet."""
    return (moment.astimezone(UTC) + timedelta(hours=14)).date()


def validate(initiative: Initiative, form: DecisionInput, *, user_id: str, now: datetime) -> dict[str, str]:
    errors: dict[str, str] = {}
    if form.outcome not in {o.value for o in GoOutcome}:
        errors["outcome"] = "Choose go, no-go or extend the pilot."
    if not form.decided_by.startswith(_USER_ID_PREFIXES):
        errors["decided_by"] = "Name who decided."
    if form.decided_on is None:
        errors["decided_on"] = "Give the day it was decided."
    elif form.decided_on > latest_date(now):
        errors["decided_on"] = "That day has not come yet: record a decision once it is made."
    if not form.reason.strip():
        errors["reason"] = "Say why, for the team and the audit log."
    elif len(form.reason.strip()) > REASON_MAX:
        errors["reason"] = f"Keep it to {REASON_MAX} characters."
    if form.outcome == GoOutcome.EXTEND:
        if not changes.is_owner(initiative, user_id):
            errors["outcome"] = (f"Only the owners of {initiative.name} can extend the pilot: it moves the "
                                 "go/no-go date.")
        if form.new_date is None:
            errors["new_date"] = "Give the pilot's new go/no-go date."
        elif form.new_date < earliest_date(now):
            errors["new_date"] = "The new go/no-go date is in the past."
        elif initiative.go_live_date and form.new_date <= initiative.go_live_date:
            errors["new_date"] = f"Extending moves the date later than {initiative.go_live_date.isoformat()}."
    return errors


def record(initiative_id: int, form: DecisionInput, *, user_id: str, session: Session, framework: Framework,
           now: datetime) -> Recorded:
    """Record a decision (DecisionErrors if the form is not valid); extending also moves the go/no-go date."""
    initiative = session.get(Initiative, initiative_id)
    if initiative is None:
        raise InitiativeGone()
    errors = validate(initiative, form, user_id=user_id, now=now)
    if errors:
        raise DecisionErrors(errors)
    extend = form.outcome == GoOutcome.EXTEND
    decision = GoDecision(
        initiative_id=initiative_id, outcome=GoOutcome(form.outcome), decided_by=form.decided_by,
        decided_on=form.decided_on, reason=form.reason.strip(), for_date=initiative.go_live_date,
        new_date=form.new_date if extend else None, recorded_by=user_id,
    )
    session.add(decision)
    session.flush()
    audit.record(session=session, kind="go_decision_recorded", actor=user_id, initiative_id=initiative_id,
                 decision_id=decision.id, outcome=decision.outcome, decided_by=decision.decided_by,
                 decided_on=decision.decided_on.isoformat(), reason=decision.reason,
                 new_date=form.new_date.isoformat() if extend else None)
    moved = None
    if extend:
        try:
            moved = changes.change(initiative_id, tier=initiative.risk_tier, go_live_date=form.new_date,
                                   reason=shorten(f"Pilot extended: {decision.reason}", changes.REASON_MAX),
                                   user_id=user_id, session=session, framework=framework, now=now, by_owner=False)
        except changes.ChangeErrors as invalid:
            raise DecisionErrors({"new_date": " ".join(invalid.errors.values())}) from None
    return Recorded(decision, initiative, moved)


def history(initiative_id: int, *, session: Session) -> list[GoDecision]:
    """Every decision on the initiative, newest first."""
    return list(session.exec(
        select(GoDecision).where(GoDecision.initiative_id == initiative_id).order_by(GoDecision.id.desc())
    ).all())


def decided_dates(*, session: Session, ids: range) -> set[tuple[int, date | None]]:
    """(initiative, go/no-go date) pairs a go or no-go was recorded for, of the initiatives whose ids are in `ids`:
    that date needs no more nudging."""
    return set(session.exec(
        select(GoDecision.initiative_id, GoDecision.for_date)
        .where(GoDecision.initiative_id.between(ids.start, ids.stop - 1),
               GoDecision.outcome.in_([GoOutcome.GO, GoOutcome.NO_GO]))
    ).all())
