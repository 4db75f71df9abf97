"""The portfolio: the initiatives a person may see, ranked by the organisation's formula (prompts/portfolio.yaml),
unscored ones last, with counts per stage and per risk tier, and the whole of it as a CSV."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from sqlmodel import Session, select

from bot.domain.scores import Scores
from bot.domain.stages import Stage, Standing, standings
from bot.framework import Framework, Tier
from bot.portfolio_formula import PortfolioFormula
from bot.text import csv_bytes
from storage.models import Initiative, Workspace, as_utc


@dataclass(frozen=True)
class Entry:
    initiative: Initiative
    standing: Standing
    score: float | None  # None: not scored yet

    @property
    def scores(self) -> Scores:
        return Scores.of(self.initiative)


@dataclass(frozen=True)
class Portfolio:
    formula: PortfolioFormula
    ranked: list[Entry]  # scored, best first
    unscored: list[Entry]  # by name
    by_stage: dict[Stage, int]  # every stage, in order, zeros included
    by_tier: dict[Tier, int]

    @property
    def entries(self) -> list[Entry]:
        return self.ranked + self.unscored


def of_workspace(team_id: str, *, session: Session) -> list[Initiative]:
    """Every initiative of a workspace, oldest first (who may see which is the access rule's to say)."""
    return list(session.exec(
        select(Initiative).join(Workspace).where(Workspace.team_id == team_id).order_by(Initiative.id)).all())


def build(initiatives: Sequence[Initiative], *, session: Session, framework: Framework,
          formula: PortfolioFormula) -> Portfolio:
    found = standings(initiatives, session=session, framework=framework)
    ranked, unscored = [], []
    for initiative in initiatives:
        scores = Scores.of(initiative)
        if scores.complete:
            ranked.append(Entry(initiative, found[initiative.id], formula.of(scores.by_factor())))
        else:
            unscored.append(Entry(initiative, found[initiative.id], None))
    ranked.sort(key=lambda e: formula.sort_key(e.score, e.scores.by_factor(), e.initiative.name))
    unscored.sort(key=lambda e: e.initiative.name.casefold())
    stages = Counter(s.stage for s in found.values())
    tiers = Counter(Tier(i.risk_tier) for i in initiatives)
    return Portfolio(formula, ranked, unscored, {s: stages[s] for s in Stage}, {t: tiers[t] for t in Tier})


CSV_HEADER = ("rank", "name", "score", "value", "feasibility", "risk", "stage", "risk_tier", "verdict",
              "questions_answered", "questions_asked", "blocking_conditions", "team_channel", "business_owner",
              "technical_owner", "go_no_go_date", "scored_by", "scored_at", "created_at")


def to_csv(portfolio: Portfolio) -> bytes:
    """One row per initiative, ranked ones first (with their rank), then the unscored ones."""
    rows = []
    for rank, entry in enumerate(portfolio.entries, 1):
        i, summary = entry.initiative, entry.standing.summary
        rows.append((
            rank if entry.score is not None else None, i.name, None if entry.score is None else f"{entry.score:g}",
            i.value_score, i.feasibility_score, i.risk_score, entry.standing.stage.label, i.risk_tier,
            summary.verdict.value, summary.answered, summary.total, len(summary.blockers), i.channel_id,
            i.business_owner_id, i.technical_owner_id, i.go_live_date.isoformat() if i.go_live_date else None,
            i.scored_by, as_utc(i.scored_at).isoformat() if i.scored_at else None, as_utc(i.created_at).isoformat(),
        ))
    return csv_bytes(CSV_HEADER, rows)
