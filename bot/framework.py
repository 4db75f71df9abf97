"""The readiness framework: questions as data, loaded from the prompts package and validated at start-up."""

from __future__ import annotations

from enum import StrEnum
from importlib.resources import files
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import TypeVar

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

M = TypeVar("M", bound=BaseModel)
DEFAULT_FRAMEWORK_PATH = files("prompts") / "framework.yaml"


class Tier(StrEnum):
    """Risk tier of an AI system: how much harm a wrong output can do."""

    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"

    @property
    def rank(self) -> int:
        return list(Tier).index(self)


class Owner(StrEnum):
    """Which named owner of the initiative an unmet condition falls to."""

    BUSINESS = "business_owner"
    TECHNICAL = "technical_owner"


class EvidenceKind(StrEnum):
    """What kind of evidence a question wants after a Met or Partly answer."""

    LINK = "link"
    NUMBER = "number"
    PERSON = "person"
    TEXT = "text"


class FrameworkError(Exception):
    """The framework file is broken: one message naming the file, the item and the problem."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Evidence(_Strict):
    kind: EvidenceKind
    prompt: str = Field(min_length=1, max_length=500)


class TierInfo(_Strict):
    id: Tier
    label: str = Field(min_length=1, max_length=40)
    meaning: str = Field(min_length=1, max_length=150)


class Area(_Strict):
    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$", max_length=40)
    name: str = Field(min_length=1, max_length=60)
    description: str = Field(min_length=1, max_length=300)


class Question(_Strict):
    id: str = Field(pattern=r"^[a-z][a-z0-9_.]*$", max_length=60)
    area: str
    text: str = Field(min_length=1, max_length=300)
    why: str = Field(min_length=1, max_length=600)
    met_looks_like: str = Field(min_length=1, max_length=600)
    evidence: Evidence | None = None
    allow_na: bool = False
    tiers: tuple[Tier, ...] = Field(min_length=1)
    blocks_from: Tier | None = None
    owner: Owner
    next_step: str = Field(min_length=1, max_length=400)
    source: str = Field(min_length=1, max_length=200)

    @field_validator("tiers")
    @classmethod
    def _tiers_unique(cls, tiers: tuple[Tier, ...]) -> tuple[Tier, ...]:
        if len(set(tiers)) != len(tiers):
            raise ValueError("tiers lists a tier twice")
        return tiers

    def asked_at(self, tier: Tier | str) -> bool:
        return Tier(tier) in self.tiers

    def blocks_at(self, tier: Tier | str) -> bool:
        """Whether an unmet answer to this question blocks release at this tier."""
        return self.blocks_from is not None and Tier(tier).rank >= self.blocks_from.rank


class ScorecardContext(_Strict):
    """A question whose evidence is shown beside the weekly adoption numbers (e.g. the baseline)."""

    question: str
    label: str = Field(min_length=1, max_length=60)


class Framework(_Strict):
    name: str = Field(min_length=1, max_length=100)
    version: str = Field(min_length=1, max_length=40)
    tiers: tuple[TierInfo, ...]
    areas: tuple[Area, ...] = Field(min_length=1)
    questions: tuple[Question, ...] = Field(min_length=1)
    scorecard_context: tuple[ScorecardContext, ...] = ()

    @model_validator(mode="after")
    def _consistent(self) -> Framework:
        if sorted(t.id for t in self.tiers) != sorted(Tier):
            raise ValueError("tiers must describe exactly low, medium and high")
        area_ids = [a.id for a in self.areas]
        _no_repeats("area", area_ids)
        _no_repeats("question", [q.id for q in self.questions])
        for q in self.questions:
            if q.area not in area_ids:
                raise ValueError(f"question {q.id}: area '{q.area}' is not one of the areas")
        for area in self.areas:
            if not any(q.area == area.id for q in self.questions):
                raise ValueError(f"area {area.id} has no questions")
        for shown in self.scorecard_context:
            if self.question(shown.question) is None:
                raise ValueError(f"scorecard_context: '{shown.question}' is not a question id")
        return self

    def question(self, question_id: str) -> Question | None:
        return next((q for q in self.questions if q.id == question_id), None)

    def area(self, area_id: str) -> Area:
        return next(a for a in self.areas if a.id == area_id)

    def tier_info(self, tier: Tier) -> TierInfo:
        return next(t for t in self.tiers if t.id == tier)

    def questions_for(self, tier: Tier | str) -> list[Question]:
        """The questions asked at a tier, in the framework's order."""
        return [q for q in self.questions if q.asked_at(tier)]


def _no_repeats(kind: str, ids: list[str]) -> None:
    seen: set[str] = set()
    for item in ids:
        if item in seen:
            raise ValueError(f"{kind} id '{item}' is used twice")
        seen.add(item)


def read_yaml(path: Traversable) -> dict:
    """A YAML mapping from a file; FrameworkError (one line, naming the file) if it cannot be had."""
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise FrameworkError(f"{path}: cannot be read ({exc.strerror})") from None
    except UnicodeDecodeError as exc:
        raise FrameworkError(f"{path}: not UTF-8 text (byte {exc.start}); save it as UTF-8") from None
    except yaml.YAMLError as exc:
        raise FrameworkError(f"{path}: not valid YAML ({_yaml_problem(exc)})") from None
    if not isinstance(raw, dict):
        raise FrameworkError(f"{path}: expected a mapping of settings at the top of the file")
    return raw


def load_validated(path: Traversable | str, model: type[M]) -> M:
    """Read a YAML file into a validated model; FrameworkError names the file, the item and the problem."""
    path = Path(path) if isinstance(path, str) else path
    raw = read_yaml(path)
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        raise FrameworkError(f"{path}: {describe_validation_error(exc, raw)}") from None


def load_framework(path: Traversable | str = DEFAULT_FRAMEWORK_PATH) -> Framework:
    """Read and validate a framework file; raise FrameworkError with one readable line."""
    return load_validated(path, Framework)


def _yaml_problem(exc: yaml.YAMLError) -> str:
    mark = getattr(exc, "problem_mark", None)
    problem = getattr(exc, "problem", None) or str(exc)
    return f"line {mark.line + 1}: {problem}" if mark else problem


def describe_validation_error(exc: ValidationError, raw: dict) -> str:
    """Describe the first validation error by the item it concerns (e.g. question trust.sources)."""
    err = exc.errors()[0]
    loc = list(err["loc"])
    where = ".".join(str(p) for p in loc) or "file"
    if len(loc) >= 2 and loc[0] in ("questions", "areas", "tiers") and isinstance(loc[1], int):
        items = raw.get(loc[0]) or []
        item = items[loc[1]] if loc[1] < len(items) else None
        ident = item.get("id") if isinstance(item, dict) else None
        label = {"questions": "question", "areas": "area", "tiers": "tier"}[loc[0]]
        name = f"{label} {ident}" if ident else f"{label} #{loc[1] + 1}"
        field = ".".join(str(p) for p in loc[2:])
        where = f"{name}, field {field}" if field else name
    message = err["msg"].removeprefix("Value error, ")
    return f"{where}: {message}"
