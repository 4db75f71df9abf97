"""The verdict: status per area and every unmet condition, with its owner and whether it blocks."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from bot.domain.progress import AreaProgress, ReviewState
from bot.framework import Owner, Question, Tier
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
    initiative: Initiative
    tier: Tier
    verdict: Verdict
    areas: list[AreaProgress]
    conditions: list[Condition]
    answered: int
    total: int

    @property
    def blockers(self) -> list[Condition]:
        return [c for c in self.conditions if c.blocking]


def summarize(state: ReviewState) -> Summary:
    initiative, tier = state.initiative, state.tier
    owners = {Owner.BUSINESS: initiative.business_owner_id, Owner.TECHNICAL: initiative.technical_owner_id}
    conditions = [
        Condition(q, status, owners[q.owner], q.blocks_at(tier))
        for q in state.questions
        if (status := state.status(q.id)) not in SATISFIED
    ]
    conditions.sort(key=lambda c: not c.blocking)
    if any(c.blocking for c in conditions):
        verdict = Verdict.NOT_READY
    elif conditions:
        verdict = Verdict.READY_WITH_CONDITIONS
    else:
        verdict = Verdict.READY
    return Summary(initiative, tier, verdict, state.areas(), conditions, state.answered, len(state.questions))


STATUS_WORDS = {AnswerStatus.PARTLY: "partly met", AnswerStatus.NOT_YET: "not yet met",
                AnswerStatus.SKIPPED: "skipped", None: "not answered"}


def describe(summary: Summary) -> str:
    """The summary as plain text: the verdict, each area, each unmet condition with its owner."""
    lines = [f"{summary.initiative.name}: {summary.verdict.value} (risk tier {summary.tier.value}, "
             f"{summary.answered} of {summary.total} questions answered)."]
    lines += [f"{p.area.name}: {p.answered} of {p.total} answered, {p.counts[AnswerStatus.MET]} met."
              for p in summary.areas]
    lines += [f"- {c.question.text} ({STATUS_WORDS.get(c.status, c.status)}; "
              f"{'blocks release' if c.blocking else 'does not block'}; owner {c.owner_id}; "
              f"next step: {c.question.next_step})" for c in summary.conditions]
    return "\n".join(lines)
