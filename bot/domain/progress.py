"""Where a review stands: the current answer to each question, what to ask next, progress per area."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field

from sqlmodel import Session, select

from bot.errors import NotFoundError
from bot.framework import Area, Framework, Owner, Question, Tier
from storage.models import Answer, AnswerStatus, Evidence, Initiative, Review

DONE = (AnswerStatus.MET, AnswerStatus.PARTLY, AnswerStatus.NOT_YET, AnswerStatus.NA)


def falls_to(question: Question, initiative: Initiative, review: Review) -> str:
    """The person a question is asked of and its unmet condition falls to: the initiative's owner in the question's
    role; for a group's question (risk and compliance), the first of the people the policy named for it when the
    review started, else the technical owner."""
    if question.owner == Owner.BUSINESS:
        return initiative.business_owner_id
    people = (review.routed or {}).get(question.owner) if question.owner != Owner.TECHNICAL else None
    return people[0] if people else initiative.technical_owner_id


@dataclass(frozen=True)
class AreaProgress:
    area: Area
    counts: Counter
    total: int

    @property
    def answered(self) -> int:
        return sum(self.counts[s] for s in DONE)


@dataclass
class ReviewState:
    """A review with its answers, as of one read of the database."""

    framework: Framework
    initiative: Initiative
    review: Review
    history: list[Answer] = field(default_factory=list)
    evidence_history: list[Evidence] = field(default_factory=list)  # withdrawn rows too, oldest first
    _asked_at: tuple[Tier, list[Question], dict[str, int]] | None = field(default=None, repr=False, compare=False)

    @classmethod
    def load(cls, review_id: int, *, session: Session, framework: Framework, lock: bool = False) -> ReviewState:
        """The review as stored; with `lock`, its row stays locked until the unit of work ends, so changes
        to one review happen one after another (PostgreSQL; SQLite's write transactions already are)."""
        review = session.exec(select(Review).where(Review.id == review_id).with_for_update()).first() if lock \
            else session.get(Review, review_id)
        if review is None:
            raise NotFoundError("This review no longer exists. Start a new one with `/readiness new <name>`.")
        initiative = session.get(Initiative, review.initiative_id)
        history = session.exec(select(Answer).where(Answer.review_id == review_id).order_by(Answer.id)).all()
        evidence = session.exec(select(Evidence).where(Evidence.review_id == review_id).order_by(Evidence.id)).all()
        return cls(framework, initiative, review, list(history), list(evidence))

    @property
    def evidence(self) -> list[Evidence]:
        """The current evidence: what no edit or deletion of its reply withdrew."""
        return [e for e in self.evidence_history if e.withdrawn_at is None]

    @property
    def tier(self) -> Tier:
        return Tier(self.initiative.risk_tier)

    @property
    def questions(self) -> list[Question]:
        return self._asked()[0]

    def _asked(self) -> tuple[list[Question], dict[str, int]]:
        """The tier's questions and each one's number, worked out once per tier (a change of tier works them out
        again)."""
        if self._asked_at is None or self._asked_at[0] != self.tier:
            questions = self.framework.questions_for(self.tier)
            self._asked_at = (self.tier, questions, {q.id: n for n, q in enumerate(questions, 1)})
        return self._asked_at[1], self._asked_at[2]

    def question(self, question_id: str) -> Question | None:
        questions, numbers = self._asked()
        return questions[numbers[question_id] - 1] if question_id in numbers else None

    def status(self, question_id: str) -> AnswerStatus | None:
        """The current answer: the newest row of the history."""
        for answer in reversed(self.history):
            if answer.question_id == question_id:
                return AnswerStatus(answer.status)
        return None

    def latest(self, question_id: str) -> Answer | None:
        return next((a for a in reversed(self.history) if a.question_id == question_id), None)

    def evidence_for(self, question_id: str) -> list[Evidence]:
        return [e for e in self.evidence if e.question_id == question_id]

    def open_questions(self) -> list[Question]:
        """The questions nobody has answered yet (a skip, from before, leaves one open)."""
        return [q for q in self.questions if self.status(q.id) not in DONE]

    def owner_id(self, question: Question) -> str:
        """The person a question falls to (see `falls_to`)."""
        return falls_to(question, self.initiative, self.review)

    def people(self, questions: list[Question]) -> list[str]:
        """Everyone the questions are asked of: their owners, and every person of a group they fall to."""
        found = [self.owner_id(q) for q in questions]
        for question in questions:
            found += (self.review.routed or {}).get(question.owner, [])
        return list(dict.fromkeys(found))

    def next_for(self, user_id: str) -> Question | None:
        """The first open question asked of this person, else the first open one."""
        still = self.open_questions()
        return next((q for q in still if user_id in self.people([q])), still[0] if still else None)

    def by_owner(self) -> dict[str, list[Question]]:
        """The review's questions per person they fall to, in asking order (an owner of both roles gets both)."""
        routed: dict[str, list[Question]] = {}
        for question in self.questions:
            routed.setdefault(self.owner_id(question), []).append(question)
        return routed

    def position(self, question: Question) -> tuple[int, int]:
        """(number, total) of a question in this review, for 'Question 3 of 28'."""
        questions, numbers = self._asked()
        return numbers[question.id], len(questions)

    def areas(self) -> list[AreaProgress]:
        by_area: dict[str, list[Question]] = defaultdict(list)
        for q in self.questions:
            by_area[q.area].append(q)
        return [
            AreaProgress(area, Counter(self.status(q.id) for q in by_area[area.id]), len(by_area[area.id]))
            for area in self.framework.areas if by_area[area.id]
        ]

    @property
    def answered(self) -> int:
        return sum(1 for q in self.questions if self.status(q.id) in DONE)
