"""Initiatives by name: intake validation, creation, and look-up with helpful suggestions."""

from __future__ import annotations

import difflib
from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from bot.clock import earliest_date
from bot.domain import audit, scores
from bot.errors import FieldErrors, MrkdwnError, NotFoundError, UserFacingError
from bot.framework import Framework, Tier
from bot.text import from_plain
from storage.db import moment
from storage.models import Initiative, InitiativeCreate, Review, Workspace

NAME_MAX = 80
_USER_ID_PREFIXES = ("U", "W")


def name_key(name: str) -> str:
    """How names are compared: case and spacing do not make two initiatives different."""
    return " ".join(name.split()).casefold()


class IntakeErrors(FieldErrors):
    """Field errors for the intake form, keyed by field name."""


def workspace_for(team_id: str, *, session: Session) -> Workspace:
    """The workspace row for a Slack team, created on first use (safe under concurrency)."""
    found = session.exec(select(Workspace).where(Workspace.team_id == team_id)).first()
    if found:
        return found
    try:
        with session.begin_nested():
            workspace = Workspace(team_id=team_id)
            session.add(workspace)
        return workspace
    except IntegrityError:
        return session.exec(select(Workspace).where(Workspace.team_id == team_id)).one()


def validate_intake(form: InitiativeCreate, *, session: Session, now: datetime) -> dict[str, str]:
    """Field errors for an intake form; empty when it may be saved."""
    errors: dict[str, str] = {}
    name = " ".join(form.name.split())
    if not name:
        errors["name"] = "Give the system a name, e.g. Invoice assistant."
    elif len(name) > NAME_MAX:
        errors["name"] = f"Keep the name to {NAME_MAX} characters."
    elif _find(form.team_id, name, session=session):
        errors["name"] = f"“{name}” is already used in this workspace. Pick another name."
    if not form.purpose.strip():
        errors["purpose"] = "Say what the system does and for whom."
    for field, label in (("business_owner_id", "business owner"), ("technical_owner_id", "technical owner")):
        if not getattr(form, field, "").startswith(_USER_ID_PREFIXES):
            errors[field] = f"Choose the {label}."
    if form.risk_tier not in {t.value for t in Tier}:
        errors["risk_tier"] = "Choose a risk tier."
    if not form.channel_id:
        errors["channel_id"] = "Choose the team channel for updates."
    if form.go_live_date and form.go_live_date < earliest_date(now):  # past in every timezone
        errors["go_live_date"] = "The go/no-go date is in the past."
    errors.update(scores.problems(scores.Scores.of(form), required=False))
    return errors


def create_initiative(
    form: InitiativeCreate, *, session: Session, framework: Framework, now: datetime,
) -> tuple[Initiative, Review]:
    """Save an initiative and open its review; raise IntakeErrors when the form is not valid."""
    errors = validate_intake(form, session=session, now=now)
    if errors:
        raise IntakeErrors(errors)
    workspace = workspace_for(form.team_id, session=session)
    name = " ".join(form.name.split())
    scored = {"scored_by": form.created_by, "scored_at": moment(session)} if scores.Scores.of(form).complete else {}
    initiative = Initiative.model_validate(
        form, update={"name": name, "name_key": name_key(name), "workspace_id": workspace.id, **scored},
    )
    try:
        with session.begin_nested():
            session.add(initiative)
    except IntegrityError:
        raise IntakeErrors({"name": f"“{name}” is already used in this workspace. Pick another name."}) from None
    review = Review(initiative_id=initiative.id, framework_version=framework.version, channel_id=form.channel_id,
                    asks_in="dm" if form.asks_in == "dm" else "thread")
    session.add(review)
    session.flush()
    audit.record(
        session=session, kind="initiative_created", actor=form.created_by, workspace_id=workspace.id,
        initiative_id=initiative.id, name=name, risk_tier=form.risk_tier, channel_id=form.channel_id,
    )
    return initiative, review


def _find(team_id: str, name: str, *, session: Session) -> Initiative | None:
    return session.exec(
        select(Initiative).join(Workspace).where(
            Workspace.team_id == team_id, Initiative.name_key == name_key(name),
        )
    ).first()


def find_initiative(team_id: str, name: str, *, session: Session, channel_id: str | None = None) -> Initiative:
    """The initiative with this name, or NotFoundError that suggests close names.

    Named in its own workspace, or in its channel (`channel_id`, where the name is asked from): in a shared
    channel, people of the other workspaces name it too, and the access rule decides what they may do.
    """
    name = " ".join(name.split())
    found = _find(team_id, name, session=session) or session.exec(
        select(Initiative).where(Initiative.channel_id == channel_id, Initiative.name_key == name_key(name))
    ).first()
    if found:
        return found
    names = session.exec(
        select(Initiative.name).join(Workspace).where(Workspace.team_id == team_id).order_by(Initiative.name)
    ).all()
    close = difflib.get_close_matches(name, names, n=3, cutoff=0.5)
    if close:
        hint = "Did you mean " + " or ".join(f"“{n}”" for n in close) + "?"
    elif names:
        hint = "Initiatives in this workspace: " + ", ".join(f"“{n}”" for n in names[:10]) + "."
    else:
        hint = "There are no initiatives yet: start one with `/readiness new <name>`."
    raise NotFoundError(f"No initiative is called “{name}”. {hint}")


def latest_review(initiative: Initiative, *, session: Session) -> Review:
    return session.exec(
        select(Review).where(Review.initiative_id == initiative.id).order_by(Review.id.desc())
    ).first()


def find_anywhere(name: str, *, team_id: str | None, session: Session) -> Initiative:
    """By name in one workspace, or in the only workspace that has it (for the deploy gate)."""
    if team_id:
        return find_initiative(team_id, name, session=session)
    found = session.exec(select(Initiative).where(Initiative.name_key == name_key(name))).all()
    if not found:
        raise NotFoundError(f"No initiative is called “{' '.join(name.split())}”.")
    if len(found) > 1:
        raise UserFacingError(f"“{found[0].name}” exists in {len(found)} workspaces: say which with the team id.")
    return found[0]


def retire(initiative: Initiative, *, user_id: str, session: Session) -> None:
    """Retire an initiative: it is never nudged again. Only its owners may."""
    if user_id not in (initiative.business_owner_id, initiative.technical_owner_id):
        raise MrkdwnError(f"Only the owners of {from_plain(initiative.name)} can retire it: ask its business owner "
                          f"<@{initiative.business_owner_id}> or technical owner <@{initiative.technical_owner_id}>.")
    initiative.retired_at = moment(session)
    session.add(initiative)
    audit.record(session=session, kind="initiative_retired", actor=user_id, initiative_id=initiative.id)


WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


def set_schedule(team_id: str, weekday: str, hour: str, *, user_id: str, session: Session) -> Workspace:
    """The workspace's weekly check-in day and hour (each business owner's own local time)."""
    day = next((i for i, name in enumerate(WEEKDAYS) if name.startswith(weekday.lower()[:3])), None)
    if day is None or len(weekday) < 3:
        raise UserFacingError("Say a weekday, e.g. `/readiness schedule monday 10`.")
    if not hour.isdigit() or not 0 <= int(hour) <= 23:
        raise UserFacingError("Say an hour from 0 to 23, e.g. `/readiness schedule monday 10`.")
    workspace = workspace_for(team_id, session=session)
    workspace.nudge_weekday, workspace.nudge_hour = day, int(hour)
    session.add(workspace)
    audit.record(session=session, kind="schedule_changed", actor=user_id, workspace_id=workspace.id,
                 weekday=WEEKDAYS[day], hour=int(hour))
    return workspace


def set_ai_assist(team_id: str, enabled: bool, *, user_id: str, session: Session) -> None:
    """Turn AI assist on or off for a workspace (it only ever runs with an OpenAI key)."""
    workspace = workspace_for(team_id, session=session)
    workspace.ai_assist_enabled = enabled
    session.add(workspace)
    audit.record(session=session, kind="ai_assist_on" if enabled else "ai_assist_off", actor=user_id,
                 workspace_id=workspace.id)
