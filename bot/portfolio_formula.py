"""How the portfolio ranks initiatives: the score's formula and its tie-breaks as data, validated at start-up."""

from __future__ import annotations

import math
from enum import StrEnum
from importlib.resources import files
from importlib.resources.abc import Traversable
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from bot.framework import load_validated

DEFAULT_PORTFOLIO_PATH = files("prompts") / "portfolio.yaml"


class Factor(StrEnum):
    """One lens of the scoring matrix, each scored 1 to 5."""

    VALUE = "value"
    FEASIBILITY = "feasibility"
    RISK = "risk"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Score(_Strict):
    combine: Literal["product", "sum"]
    weights: dict[Factor, float]

    @model_validator(mode="after")
    def _weighs_something(self) -> Score:
        for factor, weight in self.weights.items():
            if not -5 <= weight <= 5:
                raise ValueError(f"the weight of {factor.value} must be between -5 and 5")
        if not any(self.weights.values()):
            raise ValueError("give at least one factor a weight other than 0")
        return self


class TieBreak(_Strict):
    factor: Factor
    order: Literal["ascending", "descending"]


class PortfolioFormula(_Strict):
    version: str = Field(min_length=1, max_length=40)
    score: Score
    then_by: tuple[TieBreak, ...] = ()

    @model_validator(mode="after")
    def _each_factor_once(self) -> PortfolioFormula:
        factors = [t.factor for t in self.then_by]
        if len(set(factors)) != len(factors):
            raise ValueError("then_by names a factor twice")
        return self

    def weight(self, factor: Factor) -> float:
        return self.score.weights.get(factor, 0)

    def of(self, scores: dict[Factor, int]) -> float:
        """The score of one initiative's value, feasibility and risk (1 to 5 each)."""
        if self.score.combine == "product":
            return math.prod(scores[f] ** self.weight(f) for f in Factor if self.weight(f))
        return sum(scores[f] * self.weight(f) for f in Factor)

    def sort_key(self, score: float, scores: dict[Factor, int], name: str) -> tuple:
        """Best first: the highest score, then each tie-break in turn, then the name."""
        ties = [scores[t.factor] if t.order == "ascending" else -scores[t.factor] for t in self.then_by]
        return (-score, *ties, name.casefold())

    def describe(self) -> str:
        """The formula in words, e.g. "value × feasibility, then lower risk first, then higher value first"."""
        weighted = [(f.value, self.weight(f)) for f in Factor if self.weight(f)]
        if self.score.combine == "product":
            formula = " × ".join(name if w == 1 else f"{name}^{w:g}" for name, w in weighted)
        else:
            formula = " + ".join(name if w == 1 else f"{w:g}·{name}" for name, w in weighted).replace("+ -", "− ")
        ties = [f"{'lower' if t.order == 'ascending' else 'higher'} {t.factor.value} first" for t in self.then_by]
        return ", then ".join([formula, *ties])


def load_portfolio(path: Traversable | str = DEFAULT_PORTFOLIO_PATH) -> PortfolioFormula:
    return load_validated(path, PortfolioFormula)
