"""The adoption scorecard's yardstick: the process before the AI, a north-star metric and two guardrails.

The baseline (time per task, tasks per week, error rate, cost per task) is asked at intake or later; each week's
report is compared with it where the report has a comparable number (cycle time against time per task, and so
on), and a guardrail slips when the week's value passes its threshold the wrong way.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

from sqlmodel import Session

from bot.domain import audit
from bot.domain.adoption import Bound, parse, yardstick
from bot.errors import FieldErrors, InitiativeGone
from storage.models import Baseline, Direction, Initiative, Scorecard

NUMBERS = {
    "time_per_task_minutes": Bound("Time per task (minutes)", 0, 100_000, integer=False, required=False),
    "volume_per_week": Bound("Tasks per week", 0, 10_000_000, integer=False, required=False),
    "error_rate": Bound("Error rate (% of tasks)", 0, 100, integer=False, required=False),
    "cost_per_task": Bound("Cost per task", 0, 1_000_000, integer=False, required=False),
}
VALUE = Bound("Value", -1_000_000_000, 1_000_000_000, integer=False, required=False)
NAME_MAX, UNIT_MAX = 80, 30


@dataclass(frozen=True)
class Metric:
    """One of the initiative's own metrics: the north star, or a guardrail with a threshold."""

    key: str  # north_star, guardrail_1, guardrail_2: also the Scorecard column of its weekly value
    label: str
    value_field: str  # the baseline's value (north star) or the threshold (guardrails)
    value_label: str

    @property
    def guardrail(self) -> bool:
        return self.key.startswith("guardrail")


METRICS = (
    Metric("north_star", "North-star metric", "north_star_baseline", "North-star value before the AI"),
    Metric("guardrail_1", "First guardrail", "guardrail_1_threshold", "First guardrail's threshold"),
    Metric("guardrail_2", "Second guardrail", "guardrail_2_threshold", "Second guardrail's threshold"),
)
# (baseline number, the weekly report's comparable number, how it reads, its unit, which way is better)
COMPARABLE = (
    ("time_per_task_minutes", "cycle_time_minutes", "Time per task", " min", Direction.LOWER),
    ("volume_per_week", "tasks_handled", "Tasks per week", "", Direction.HIGHER),
    ("error_rate", "error_rate", "Error rate", "%", Direction.LOWER),
    ("cost_per_task", "cost_per_task", "Cost per task", "", Direction.LOWER),
)


class BaselineErrors(FieldErrors):
    """The baseline's fields that are wrong, keyed by field."""


@dataclass(frozen=True)
class BaselineInput:
    """The baseline as typed: strings (directions as higher or lower), checked by validate()."""

    time_per_task_minutes: str = ""
    volume_per_week: str = ""
    error_rate: str = ""
    cost_per_task: str = ""
    north_star_name: str = ""
    north_star_unit: str = ""
    north_star_direction: str = ""
    north_star_baseline: str = ""
    guardrail_1_name: str = ""
    guardrail_1_unit: str = ""
    guardrail_1_direction: str = ""
    guardrail_1_threshold: str = ""
    guardrail_2_name: str = ""
    guardrail_2_unit: str = ""
    guardrail_2_direction: str = ""
    guardrail_2_threshold: str = ""

    @property
    def empty(self) -> bool:
        return not any(getattr(self, f.name).strip() for f in fields(self))

    @classmethod
    def of(cls, baseline: Baseline | None) -> BaselineInput:
        """A stored baseline as it would be typed, to show it again in the form."""
        if baseline is None:
            return cls()
        return cls(**{f.name: _typed(getattr(baseline, f.name)) for f in fields(cls)})


def _typed(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:g}" if abs(value) < 1e15 else str(value)
    return str(value)


FIELD_NAMES = tuple(f.name for f in fields(BaselineInput))


def validate(form: BaselineInput) -> dict:
    """The baseline as values, or BaselineErrors naming each field that is wrong. All of it is optional, but a
    metric named needs its direction, and a guardrail its threshold; a direction or number needs a name."""
    errors, values = {}, {}
    for name, bound in NUMBERS.items():
        try:
            values[name] = parse(getattr(form, name), bound)
        except ValueError as wrong:
            errors[name] = str(wrong)
    for metric in METRICS:
        name = " ".join(getattr(form, f"{metric.key}_name").split())
        unit = " ".join(getattr(form, f"{metric.key}_unit").split())
        direction = getattr(form, f"{metric.key}_direction").strip()
        values[f"{metric.key}_name"], values[f"{metric.key}_unit"] = name, unit
        values[f"{metric.key}_direction"] = direction or None
        try:
            values[metric.value_field] = parse(getattr(form, metric.value_field), VALUE)
        except ValueError as wrong:
            errors[metric.value_field] = str(wrong)
        if len(name) > NAME_MAX:
            errors[f"{metric.key}_name"] = f"Keep the name to {NAME_MAX} characters."
        elif not name and (unit or direction or values.get(metric.value_field) is not None):
            errors[f"{metric.key}_name"] = f"Name the {metric.label.lower()}, e.g. {_example(metric)}."
        if len(unit) > UNIT_MAX:
            errors[f"{metric.key}_unit"] = f"Keep the unit to {UNIT_MAX} characters."
        if direction and direction not in {d.value for d in Direction}:
            errors[f"{metric.key}_direction"] = "Choose higher or lower."
        elif name and not direction:
            errors[f"{metric.key}_direction"] = "Say whether higher or lower is better."
        if name and metric.guardrail and values.get(metric.value_field) is None \
                and metric.value_field not in errors:
            errors[metric.value_field] = "Give the threshold it must not pass."
    if errors:
        raise BaselineErrors(errors)
    return values


def problems(form: BaselineInput) -> dict[str, str]:
    """The fields that are wrong, keyed by field; empty when the baseline may be saved (or is left empty)."""
    try:
        validate(form)
    except BaselineErrors as wrong:
        return wrong.errors
    return {}


def _example(metric: Metric) -> str:
    return "invoices paid on time" if metric.key == "north_star" else "complaints per week"


def record(initiative_id: int, form: BaselineInput, *, user_id: str, session: Session) -> Baseline:
    """Store the baseline; the newest one counts, earlier ones stay in the history."""
    if form.empty:
        raise BaselineErrors({"time_per_task_minutes": "Fill in at least one number or metric."})
    values = validate(form)
    if session.get(Initiative, initiative_id) is None:
        raise InitiativeGone()
    replaced = yardstick(initiative_id, session=session) is not None
    row = Baseline(initiative_id=initiative_id, recorded_by=user_id, **values)
    session.add(row)
    session.flush()
    audit.record(session=session, kind="baseline_replaced" if replaced else "baseline_recorded", actor=user_id,
                 initiative_id=initiative_id, baseline_id=row.id,
                 **{k: v for k, v in values.items() if v not in (None, "")})
    return row


@dataclass(frozen=True)
class Versus:
    """One number of the week against the same number before the AI."""

    label: str
    unit: str
    before: float | None
    now: float | None  # None: not reported this week
    direction: Direction

    @property
    def better(self) -> bool | None:
        """Whether the week is better than the baseline; None when it cannot tell or nothing moved."""
        if self.before is None or self.now is None or self.now == self.before:
            return None
        return (self.now > self.before) == (self.direction is Direction.HIGHER)


@dataclass(frozen=True)
class GuardrailCheck:
    name: str
    unit: str
    direction: Direction
    threshold: float
    value: float | None  # None: not reported this week

    @property
    def slipped(self) -> bool:
        """Past its threshold the wrong way: above it when lower is better, below it when higher is."""
        if self.value is None:
            return False
        return self.value > self.threshold if self.direction is Direction.LOWER else self.value < self.threshold


@dataclass(frozen=True)
class Comparison:
    versus: list[Versus]
    guardrails: list[GuardrailCheck]

    @property
    def slipped(self) -> list[GuardrailCheck]:
        return [g for g in self.guardrails if g.slipped]


def compare(baseline: Baseline, card: Scorecard) -> Comparison:
    """A week's report against the baseline: each comparable number, the north star, each guardrail."""
    versus = [Versus(label, unit, getattr(baseline, before), getattr(card, now), direction)
              for before, now, label, unit, direction in COMPARABLE if getattr(baseline, before) is not None]
    guardrails = []
    for metric in METRICS:
        name = getattr(baseline, f"{metric.key}_name")
        if not name:
            continue
        unit = getattr(baseline, f"{metric.key}_unit")
        direction = Direction(getattr(baseline, f"{metric.key}_direction") or Direction.HIGHER)
        value, now = getattr(baseline, metric.value_field), getattr(card, metric.key)
        if metric.guardrail:
            guardrails.append(GuardrailCheck(name, unit, direction, value, now))
        else:
            versus.append(Versus(name, f" {unit}" if unit else "", value, now, direction))
    return Comparison(versus, guardrails)


def metrics_of(baseline: Baseline | None) -> list[tuple[Metric, str, str, Direction, float | None]]:
    """The metrics a baseline names, each with its name, unit, direction and value (baseline or threshold)."""
    if baseline is None:
        return []
    return [(m, getattr(baseline, f"{m.key}_name"), getattr(baseline, f"{m.key}_unit"),
             Direction(getattr(baseline, f"{m.key}_direction") or Direction.HIGHER), getattr(baseline, m.value_field))
            for m in METRICS if getattr(baseline, f"{m.key}_name")]
