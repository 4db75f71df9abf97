"""The portfolio's scoring matrix for one initiative: value, feasibility and risk, 1 to 5 each.

Asked at intake (optional: all three or none) or later with /readiness score; a new score replaces the last,
and the audit log keeps what it was.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from sqlmodel import Session

from bot.domain import audit
from bot.errors import FieldErrors, InitiativeGone
from bot.portfolio_formula import Factor
from storage.db import moment
from storage.models import Initiative, InitiativeBase

LOWEST, HIGHEST = 1, 5
FIELDS = {Factor.VALUE: "value_score", Factor.FEASIBILITY: "feasibility_score", Factor.RISK: "risk_score"}
# the three scoring lenses, from the seed article 004_63c94d105911837b.txt ("Use three scoring lenses")
LENSES = {
    Factor.VALUE: "Revenue lift, cost reduction, risk reduction, customer experience, or cycle-time improvement.",
    Factor.FEASIBILITY: "Data availability, workflow clarity, integration complexity, and time to ship.",
    Factor.RISK: "Harm if wrong, regulatory exposure, security impact, and reputational risk.",
}


class ScoreErrors(FieldErrors):
    """Scores that are missing or out of range, keyed by field (value_score, feasibility_score, risk_score)."""


@dataclass(frozen=True)
class Scores:
    value: int | None = None
    feasibility: int | None = None
    risk: int | None = None

    @classmethod
    def of(cls, initiative: InitiativeBase) -> Scores:
        return cls(initiative.value_score, initiative.feasibility_score, initiative.risk_score)

    def by_factor(self) -> dict[Factor, int | None]:
        return {factor: getattr(self, factor.value) for factor in Factor}

    @property
    def complete(self) -> bool:
        return all(v is not None for v in self.by_factor().values())

    @property
    def empty(self) -> bool:
        return all(v is None for v in self.by_factor().values())


def problems(scores: Scores, *, required: bool) -> dict[str, str]:
    """The fields that are wrong; empty when the scores may be saved (at intake, all three may be left empty)."""
    if scores.empty and not required:
        return {}
    errors = {}
    for factor, value in scores.by_factor().items():
        if value is None:
            errors[FIELDS[factor]] = f"Score the {factor.value}, {LOWEST} to {HIGHEST}" + (
                "." if required else ", or leave all three scores empty.")
        elif not LOWEST <= value <= HIGHEST:
            errors[FIELDS[factor]] = f"Score the {factor.value} from {LOWEST} to {HIGHEST}."
    return errors


def score(initiative_id: int, scores: Scores, *, user_id: str, session: Session) -> Initiative:
    """Set an initiative's scores (ScoreErrors unless all three are 1 to 5); the audit log keeps the old ones."""
    if errors := problems(scores, required=True):
        raise ScoreErrors(errors)
    initiative = session.get(Initiative, initiative_id)
    if initiative is None:
        raise InitiativeGone()
    before = Scores.of(initiative)
    initiative.value_score, initiative.feasibility_score, initiative.risk_score = (
        scores.value, scores.feasibility, scores.risk)
    initiative.scored_by, initiative.scored_at = user_id, moment(session)
    session.add(initiative)
    audit.record(session=session, kind="initiative_scored", actor=user_id, workspace_id=initiative.workspace_id,
                 initiative_id=initiative.id, previous=None if before.empty else asdict(before), scores=asdict(scores))
    return initiative
