"""The readiness framework: questions as data, loaded from the prompts package and validated at start-up."""

from __future__ import annotations

import re
from enum import StrEnum
from importlib.resources import files
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any, TypeVar

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
    """Who a question is asked of and an unmet condition falls to: a named owner of the initiative, or the approval
    policy's risk and compliance group."""

    BUSINESS = "business_owner"
    TECHNICAL = "technical_owner"
    RISK = "risk_and_compliance"


class IntakeField(StrEnum):
    """What the intake form holds that a question asks again: proposed as its answer, to confirm or change."""

    BUSINESS_OWNER = "business_owner"
    TECHNICAL_OWNER = "technical_owner"
    DATA_SOURCES = "data_sources"
    INTEGRATIONS = "integrations"


class EvidenceKind(StrEnum):
    """What kind of evidence a question wants after a Met or Partly answer."""

    LINK = "link"
    NUMBER = "number"
    PERSON = "person"
    TEXT = "text"


class Standard(StrEnum):
    """A published standard a question can be tagged with, as `standard:clause` (e.g. eu_ai_act:art14)."""

    EU_AI_ACT = "eu_ai_act"
    NIST_AI_RMF = "nist_ai_rmf"
    ISO_42001 = "iso_42001"

    @property
    def label(self) -> str:
        return _STANDARD_LABELS[self]


_STANDARD_LABELS = {
    Standard.EU_AI_ACT: "EU AI Act",
    Standard.NIST_AI_RMF: "NIST AI RMF",
    Standard.ISO_42001: "ISO/IEC 42001",
}

# EU AI Act (Regulation (EU) 2024/1689): Articles 1 to 113.
_EU_AI_ACT_ARTICLES = 113
# NIST AI RMF 1.0 (NIST AI 100-1), Tables 1 to 4: how many subcategories each category has (72 in all).
_NIST_AI_RMF_CATEGORIES = {
    "GOVERN": (7, 3, 2, 3, 2, 2),
    "MAP": (6, 3, 5, 2, 2),
    "MEASURE": (3, 13, 3, 3),
    "MANAGE": (4, 4, 2, 3),
}
# ISO/IEC 42001:2023: the requirement clauses 4 to 10, and Annex A's control objectives and its 38 controls.
_ISO_42001_CLAUSES = frozenset({
    "4", "4.1", "4.2", "4.3", "4.4",
    "5", "5.1", "5.2", "5.3",
    "6", "6.1", "6.1.1", "6.1.2", "6.1.3", "6.1.4", "6.2", "6.3",
    "7", "7.1", "7.2", "7.3", "7.4", "7.5", "7.5.1", "7.5.2", "7.5.3",
    "8", "8.1", "8.2", "8.3", "8.4",
    "9", "9.1", "9.2", "9.2.1", "9.2.2", "9.3", "9.3.1", "9.3.2", "9.3.3",
    "10", "10.1", "10.2",
    "A.2", "A.2.2", "A.2.3", "A.2.4",
    "A.3", "A.3.2", "A.3.3",
    "A.4", "A.4.2", "A.4.3", "A.4.4", "A.4.5", "A.4.6",
    "A.5", "A.5.2", "A.5.3", "A.5.4", "A.5.5",
    "A.6", "A.6.1", "A.6.1.2", "A.6.1.3",
    "A.6.2", "A.6.2.2", "A.6.2.3", "A.6.2.4", "A.6.2.5", "A.6.2.6", "A.6.2.7", "A.6.2.8",
    "A.7", "A.7.2", "A.7.3", "A.7.4", "A.7.5", "A.7.6",
    "A.8", "A.8.2", "A.8.3", "A.8.4", "A.8.5",
    "A.9", "A.9.2", "A.9.3", "A.9.4",
    "A.10", "A.10.2", "A.10.3", "A.10.4",
})
_CLAUSE_HINTS = {
    Standard.EU_AI_ACT: "is not an article of the EU AI Act: write art and its number, 1 to 113, e.g. art14",
    Standard.NIST_AI_RMF: ("is not a category or subcategory of the NIST AI RMF: write FUNCTION-category or "
                           "FUNCTION-category.subcategory, e.g. MANAGE-4 or MANAGE-4.1 "
                           "(GOVERN 1 to 6, MAP 1 to 5, MEASURE 1 to 4, MANAGE 1 to 4)"),
    Standard.ISO_42001: ("is not a clause or Annex A control of ISO/IEC 42001:2023: write a clause from 4 to 10, "
                         "e.g. 8.4, or an Annex A control, e.g. A.6.2.8"),
}
_TAG_FORM = "should be standard:clause, e.g. eu_ai_act:art14 or nist_ai_rmf:MANAGE-4.1"


def _clause_exists(standard: Standard, clause: str) -> bool:
    if standard is Standard.EU_AI_ACT:
        match = re.fullmatch(r"art([1-9][0-9]{0,2})", clause)
        return bool(match) and int(match.group(1)) <= _EU_AI_ACT_ARTICLES
    if standard is Standard.NIST_AI_RMF:
        match = re.fullmatch(r"(GOVERN|MAP|MEASURE|MANAGE)-([1-9][0-9]?)(?:\.([1-9][0-9]?))?", clause)
        if not match:
            return False
        subcategories = _NIST_AI_RMF_CATEGORIES[match.group(1)]
        category = int(match.group(2))
        return category <= len(subcategories) and (
            match.group(3) is None or int(match.group(3)) <= subcategories[category - 1])
    return clause in _ISO_42001_CLAUSES


class StandardRef(BaseModel):
    """One tag on a question: the standard, and the article, category or clause of it the question supports."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    standard: Standard
    clause: str

    @model_validator(mode="before")
    @classmethod
    def _parse(cls, value: Any) -> Any:
        """Read `standard:clause` (or standard= and clause=), refusing an unknown standard or clause."""
        if isinstance(value, cls):
            return value
        if isinstance(value, dict) and set(value) == {"standard", "clause"}:
            value = f"{value['standard']}:{value['clause']}"
        if not isinstance(value, str):
            raise ValueError(f"{value!r} {_TAG_FORM}")  # noqa: TRY004 (pydantic reports ValueError, not TypeError)
        name, _, clause = (part.strip() for part in value.partition(":"))
        if not name or not clause:
            raise ValueError(f"'{value}' {_TAG_FORM}")
        if name not in {standard.value for standard in Standard}:
            raise ValueError(f"'{value}' names an unknown standard '{name}' (known: {', '.join(Standard)})")
        standard = Standard(name)
        if not _clause_exists(standard, clause):
            raise ValueError(f"'{value}' {_CLAUSE_HINTS[standard]}")
        return {"standard": standard, "clause": clause}

    def __str__(self) -> str:
        return f"{self.standard.value}:{self.clause}"

    @property
    def label(self) -> str:
        """How a person reads the tag, e.g. EU AI Act Art. 14, NIST AI RMF MANAGE 4.1, ISO/IEC 42001 A.6.2.8."""
        if self.standard is Standard.EU_AI_ACT:
            return f"{self.standard.label} Art. {self.clause.removeprefix('art')}"
        return f"{self.standard.label} {self.clause.replace('-', ' ')}"


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
    standards: tuple[StandardRef, ...] = ()
    intake: IntakeField | None = None

    @field_validator("tiers")
    @classmethod
    def _tiers_unique(cls, tiers: tuple[Tier, ...]) -> tuple[Tier, ...]:
        if len(set(tiers)) != len(tiers):
            raise ValueError("tiers lists a tier twice")
        return tiers

    @field_validator("standards")
    @classmethod
    def _standards_unique(cls, standards: tuple[StandardRef, ...]) -> tuple[StandardRef, ...]:
        seen: set[StandardRef] = set()
        for ref in standards:
            if ref in seen:
                raise ValueError(f"standards lists {ref} twice")
            seen.add(ref)
        return standards

    def asked_at(self, tier: Tier | str) -> bool:
        return Tier(tier) in self.tiers

    def blocks_at(self, tier: Tier | str) -> bool:
        """Whether an unmet answer to this question blocks release at this tier."""
        return self.blocks_from is not None and Tier(tier).rank >= self.blocks_from.rank


class Reference(_Strict):
    """A standard the questions are tagged with, cited by its official title and where to read it."""

    id: Standard
    title: str = Field(min_length=1, max_length=200)
    url: str = Field(pattern=r"^https://\S+$", max_length=300)


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
    references: tuple[Reference, ...] = ()

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
        _no_repeats("reference", [r.id.value for r in self.references])
        cited = {r.id for r in self.references}
        for q in self.questions:
            for ref in q.standards:
                if ref.standard not in cited:
                    raise ValueError(f"question {q.id}: standards cites {ref}, but references does not "
                                     f"describe {ref.standard.value} (its title and url)")
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

    def reference(self, standard: Standard | str) -> Reference:
        """The citation (official title and url) of a standard the questions are tagged with."""
        return next(r for r in self.references if r.id == Standard(standard))

    def questions_supporting(self, standard: Standard | str) -> list[Question]:
        """The questions tagged with a standard, in the framework's order (for an audit export)."""
        return [q for q in self.questions if any(ref.standard == Standard(standard) for ref in q.standards)]


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
    labels = {"questions": "question", "areas": "area", "tiers": "tier", "references": "reference"}
    if len(loc) >= 2 and loc[0] in labels and isinstance(loc[1], int):
        items = raw.get(loc[0]) or []
        item = items[loc[1]] if loc[1] < len(items) else None
        ident = item.get("id") if isinstance(item, dict) else None
        label = labels[loc[0]]
        name = f"{label} {ident}" if ident else f"{label} #{loc[1] + 1}"
        field = ".".join(str(p) for p in loc[2:])
        where = f"{name}, field {field}" if field else name
    message = err["msg"].removeprefix("Value error, ")
    return f"{where}: {message}"
