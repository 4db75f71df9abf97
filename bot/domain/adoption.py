"""Weekly adoption scorecards: validation, history (a week reported again is replaced, not erased), trends."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlmodel import Session, select

from bot.domain import audit
from bot.errors import FieldErrors, InitiativeGone
from storage.models import Baseline, Initiative, Scorecard

WEEKS_SHOWN = 12


@dataclass(frozen=True)
class Bound:
    label: str
    low: float
    high: float
    integer: bool = True
    required: bool = True


BOUNDS = {
    "active_users": Bound("Active users", 0, 1_000_000),
    "repeat_users": Bound("Repeat users", 0, 1_000_000),
    "hours_saved": Bound("Hours saved", 0, 100_000, integer=False, required=False),
    "cycle_time_minutes": Bound("Cycle time (minutes per task)", 0, 100_000, integer=False, required=False),
    "tasks_handled": Bound("Tasks handled", 0, 10_000_000, required=False),
    "error_rate": Bound("Error rate (% of tasks)", 0, 100, integer=False, required=False),
    "cost_per_task": Bound("Cost per task", 0, 1_000_000, integer=False, required=False),
    "feedback_count": Bound("Feedback received", 0, 100_000),
    "escalations": Bound("Escalations", 0, 100_000),
    "incidents": Bound("Incidents", 0, 100_000),
}
METRIC_BOUND = Bound("Metric", -1_000_000_000, 1_000_000_000, integer=False, required=False)
METRICS = ("north_star", "guardrail_1", "guardrail_2")  # the week's values of the baseline's own metrics
TEXT_LIMITS = {"top_themes": 1000, "note": 3000}


class ScorecardErrors(FieldErrors):
    """The week's numbers that are out of range or missing, keyed by field."""


@dataclass(frozen=True)
class ScorecardInput:
    """A week's numbers as typed: strings, checked by validate()."""

    active_users: str = ""
    repeat_users: str = ""
    hours_saved: str = ""
    cycle_time_minutes: str = ""
    feedback_count: str = ""
    top_themes: str = ""
    escalations: str = ""
    incidents: str = ""
    note: str = ""
    tasks_handled: str = ""
    error_rate: str = ""
    cost_per_task: str = ""
    north_star: str = ""
    guardrail_1: str = ""
    guardrail_2: str = ""


def parse(raw: str, bound: Bound) -> int | float | None:
    """A typed number within its bound (None when left empty); ValueError says what is wrong."""
    raw = raw.strip().replace(",", "")
    if not raw:
        if bound.required:
            raise ValueError(f"Give the number of {bound.label.lower()} (0 if none).")
        return None
    try:
        number = float(raw)
    except ValueError:
        raise ValueError("That is not a number.") from None
    if bound.integer and not number.is_integer():
        raise ValueError("A whole number, please.")
    if not bound.low <= number <= bound.high:
        raise ValueError(f"Between {bound.low:,.0f} and {bound.high:,.0f}, please.")
    return int(number) if bound.integer else number


def validate(form: ScorecardInput) -> dict:
    """The numbers as values, or ScorecardErrors naming each field that is wrong."""
    errors, values = {}, {}
    for name, bound in [*BOUNDS.items(), *((metric, METRIC_BOUND) for metric in METRICS)]:
        try:
            values[name] = parse(getattr(form, name), bound)
        except ValueError as wrong:
            errors[name] = str(wrong)
    if values.get("hours_saved") is None and values.get("cycle_time_minutes") is None and not (
            {"hours_saved", "cycle_time_minutes"} & errors.keys()):
        errors["hours_saved"] = "Give the hours saved, or the cycle time below."
    if "repeat_users" not in errors and "active_users" not in errors and values.get("repeat_users") is not None \
            and values["repeat_users"] > values["active_users"]:
        errors["repeat_users"] = "Repeat users can't be more than active users."
    for name, limit in TEXT_LIMITS.items():
        text = getattr(form, name).strip()
        if len(text) > limit:
            errors[name] = f"Keep it to {limit} characters."
        values[name] = text
    if errors:
        raise ScorecardErrors(errors)
    return values


def record(initiative_id: int, week_start: date, form: ScorecardInput, *, user_id: str, session: Session) -> Scorecard:
    """Store a week's report; a second report for the same week becomes the current one, the first stays."""
    values = validate(form)
    if session.get(Initiative, initiative_id) is None:
        raise InitiativeGone()
    replaced = current(initiative_id, week_start, session=session) is not None
    card = Scorecard(initiative_id=initiative_id, week_start=week_start, reported_by=user_id, **values)
    session.add(card)
    session.flush()
    audit.record(session=session, kind="scorecard_replaced" if replaced else "scorecard_reported", actor=user_id,
                 initiative_id=initiative_id, week_start=week_start.isoformat(), scorecard_id=card.id)
    return card


def current(initiative_id: int, week_start: date, *, session: Session) -> Scorecard | None:
    return session.exec(
        select(Scorecard).where(Scorecard.initiative_id == initiative_id, Scorecard.week_start == week_start)
        .order_by(Scorecard.id.desc())
    ).first()


def currents(weeks: dict[int, date], *, session: Session) -> dict[int, Scorecard]:
    """The current scorecard of each initiative for its week (`weeks`, by initiative id), in one query."""
    if not weeks:
        return {}
    rows = session.exec(
        select(Scorecard).where(Scorecard.initiative_id.in_(list(weeks)),
                                Scorecard.week_start.in_(set(weeks.values()))).order_by(Scorecard.id)
    ).all()
    return {row.initiative_id: row for row in rows if weeks[row.initiative_id] == row.week_start}  # newest wins


@dataclass(frozen=True)
class Trend:
    """Twelve weeks of scorecards ending with `week_start` (None where nothing was reported)."""

    weeks: list[date]
    cards: list[Scorecard | None]
    baseline: Scorecard | None  # the first week ever reported
    before_ai: Baseline | None = None  # the process before the AI, with the north star and guardrails

    @property
    def this_week(self) -> Scorecard | None:
        return self.cards[-1]

    @property
    def last_week(self) -> Scorecard | None:
        return self.cards[-2] if len(self.cards) > 1 else None


def trend(initiative_id: int, week_start: date, *, session: Session) -> Trend:
    weeks = [week_start - timedelta(weeks=n) for n in range(WEEKS_SHOWN - 1, -1, -1)]
    rows = session.exec(
        select(Scorecard).where(Scorecard.initiative_id == initiative_id, Scorecard.week_start >= weeks[0],
                                Scorecard.week_start <= week_start).order_by(Scorecard.id)
    ).all()
    newest = {row.week_start: row for row in rows}  # later rows replace earlier ones for the same week
    first = session.exec(
        select(Scorecard).where(Scorecard.initiative_id == initiative_id)
        .order_by(Scorecard.week_start, Scorecard.id.desc())
    ).first()
    return Trend(weeks, [newest.get(w) for w in weeks], first, yardstick(initiative_id, session=session))


def yardstick(initiative_id: int, *, session: Session) -> Baseline | None:
    """The newest baseline recorded for an initiative (earlier ones stay in the history)."""
    return session.exec(
        select(Baseline).where(Baseline.initiative_id == initiative_id).order_by(Baseline.id.desc())
    ).first()


def change(now: float | None, before: float | None) -> float | None:
    return None if now is None or before is None else now - before
