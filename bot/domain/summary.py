"""The verdict: status per area, every unmet condition with its owner and whether it blocks, and the answers that
say Met or Partly without the evidence their question asks for."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from bot.domain.progress import AreaProgress, ReviewState
from bot.framework import Question, Tier
from storage.models import AnswerStatus, Initiative

SATISFIED = (AnswerStatus.MET, AnswerStatus.NA)


class Verdict(StrEnum):
    READY = "Ready"
    READY_WITH_CONDITIONS = "Ready with conditions"
    NOT_READY = "Not ready"


@dataclass(frozen=True)
class Condition:
    """A question not (yet) met: partly, not yet, skipped or unanswered."""

    question: Question
    status: AnswerStatus | None
    owner_id: str
    blocking: bool


@dataclass(frozen=True)
class Summary:
    review_id: int
    initiative: Initiative
    tier: Tier
    verdict: Verdict
    areas: list[AreaProgress]
    conditions: list[Condition]
    answered: int
    total: int
    evidence_missing: list[Condition]  # answered Met or Partly without the evidence the question asks for

    @property
    def blockers(self) -> list[Condition]:
        return [c for c in self.conditions if c.blocking]


def summarize(state: ReviewState) -> Summary:
    initiative, tier = state.initiative, state.tier
    current = [Condition(q, state.status(q.id), state.owner_id(q), q.blocks_at(tier)) for q in state.questions]
    conditions = sorted((c for c in current if c.status not in SATISFIED), key=lambda c: not c.blocking)
    evidence_missing = [c for c in current if c.question.evidence and not state.evidence_for(c.question.id)
                        and c.status in (AnswerStatus.MET, AnswerStatus.PARTLY)]
    if any(c.blocking for c in conditions):
        verdict = Verdict.NOT_READY
    elif conditions:
        verdict = Verdict.READY_WITH_CONDITIONS
    else:
        verdict = Verdict.READY
    return Summary(state.review.id, initiative, tier, verdict, state.areas(), conditions, state.answered,
                   len(state.questions), evidence_missing)


STATUS_WORDS = {AnswerStatus.PARTLY: "partly met", AnswerStatus.NOT_YET: "not yet met",
                AnswerStatus.SKIPPED: "skipped", None: "not answered"}


def headline(summary: Summary) -> str:
    """One line: the initiative, its verdict, its tier and how many questions are answered."""
    return (f"{summary.initiative.name}: {summary.verdict.value} (risk tier {summary.tier.value}, "
            f"{summary.answered} of {summary.total} questions answered).")


def describe(summary: Summary) -> str:
    """The summary as plain text: the verdict, each area, each unmet condition with its owner."""
    lines = [headline(summary)]
    lines += [f"{p.area.name}: {p.answered} of {p.total} answered, {p.counts[AnswerStatus.MET]} met."
              for p in summary.areas]
    lines += [f"- {c.question.text} ({STATUS_WORDS.get(c.status, c.status)}; "
              f"{'blocks release' if c.blocking else 'does not block'}; owner {c.owner_id}; "
              f"next step: {c.question.next_step})" for c in summary.conditions]
    return "\n".join(lines)
