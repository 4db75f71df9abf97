"""Domain objects built in memory for testing Block Kit builders: initiatives, reviews, a huge framework."""

from __future__ import annotations

from datetime import UTC, date, datetime

from bot.domain.progress import ReviewState
from bot.framework import Framework
from storage.models import Answer, AnswerStatus, Evidence, Initiative, Review

WHEN = datetime(2026, 3, 4, 5, 6, tzinfo=UTC)
REVIEW_ID = 7
BUSINESS_OWNER = "U" + "B" * 31  # the longest user id a row holds
TECHNICAL_OWNER = "U" + "T" * 31


def make_initiative(tier: str = "high", *, name: str = "Invoice assistant",
                    purpose: str = "Drafts replies to supplier invoices.") -> Initiative:
    return Initiative(
        id=1, workspace_id=1, name=name, name_key=name.lower(), purpose=purpose,
        business_owner_id=BUSINESS_OWNER, technical_owner_id=TECHNICAL_OWNER, risk_tier=tier,
        channel_id="C0TEAM", go_live_date=date(2026, 6, 1), created_by="U0STARTER", created_at=WHEN,
    )


def make_state(framework: Framework, tier: str = "high", *, answers: dict[str, AnswerStatus] | list = (),
               evidence: dict[str, str] | None = None, initiative: Initiative | None = None) -> ReviewState:
    """A review with the given answers (in order) and evidence texts, no database involved."""
    pairs = list(answers.items()) if isinstance(answers, dict) else list(answers)
    history = [
        Answer(id=i, review_id=REVIEW_ID, question_id=qid, status=status, answered_by="U0ANSWERER",
               source="button", answered_at=WHEN)
        for i, (qid, status) in enumerate(pairs, start=1)
    ]
    rows = [
        Evidence(id=i, review_id=REVIEW_ID, question_id=qid, text=text, provided_by="U0ANSWERER", provided_at=WHEN)
        for i, (qid, text) in enumerate((evidence or {}).items(), start=1)
    ]
    review = Review(id=REVIEW_ID, initiative_id=1, framework_version=framework.version, channel_id="C0TEAM",
                    thread_ts="1700000000.000100", created_at=WHEN, updated_at=WHEN)
    return ReviewState(framework, initiative or make_initiative(tier), review, history, rows)


def fill(prefix: str, length: int) -> str:
    words = (prefix + " " + "and the system keeps working when usage grows " * 40).strip()
    return words[:length].rstrip() + "x" * (length - len(words[:length].rstrip()))


def huge_framework(areas: int = 60, per_area: int = 5) -> Framework:
    """300 questions over 60 areas, every text at its maximum length."""
    area_rows, questions = [], []
    blocks_from = [None, "low", "medium", "high"]
    kinds = ["link", "number", "person", "text"]
    for a in range(areas):
        area_id = (f"area_{a:02d}_" + "x" * 40)[:40]
        area_rows.append({"id": area_id, "name": fill(f"Area {a:02d}", 60), "description": fill("About", 300)})
        for j in range(per_area):
            n = a * per_area + j
            questions.append({
                "id": (f"{area_id[:8]}.q{j}_" + "y" * 60)[:60],
                "area": area_id,
                "text": fill(f"Q{n:03d} does it", 300),
                "why": fill("Because", 600),
                "met_looks_like": fill("Met means", 600),
                "evidence": {"kind": kinds[n % 4], "prompt": fill("Show", 500)},
                "allow_na": n % 2 == 0,
                "tiers": ["low", "medium", "high"],
                "blocks_from": blocks_from[n % 4],
                "owner": "business_owner" if n % 2 else "technical_owner",
                "next_step": fill("Next do", 400),
                "source": fill("004_63c94d105911837b.txt", 200),
            })
    return Framework.model_validate({
        "name": fill("Huge framework", 100),
        "version": "9" * 40,
        "tiers": [{"id": t, "label": fill(f"{t} tier", 40), "meaning": fill("Harm", 150)}
                  for t in ("low", "medium", "high")],
        "areas": area_rows,
        "questions": questions,
    })
