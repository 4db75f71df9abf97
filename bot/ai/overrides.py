"""How often people change the model's proposals, and why when they say: per prompt version, for /readiness usage."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from sqlmodel import Session, select

from bot.domain import audit
from storage.models import AuditEvent, Initiative, Workspace

KIND = "ai_proposal_decided"
CONFIRMED, CHANGED = "confirmed", "changed"
REASONS_SHOWN = 3


@dataclass
class OverrideRow:
    prompt_version: str
    confirmed: int = 0
    changed: int = 0
    reasons: list[str] = field(default_factory=list)  # the newest first

    @property
    def rate(self) -> float:
        return self.changed / (self.confirmed + self.changed)


def record(*, session: Session, initiative_id: int, user_id: str, prompt_version: str, outcome: str,
           question_id: str, reason: str = "") -> None:
    """A person confirmed or changed a proposal (in the unit of work that records their answer)."""
    audit.record(session=session, kind=KIND, actor=user_id, initiative_id=initiative_id,
                 prompt_version=prompt_version, outcome=outcome, question_id=question_id, reason=reason.strip())


def month_overrides(team_id: str, *, session: Session, now: datetime) -> list[OverrideRow]:
    """This month's decided proposals of a workspace, by prompt version."""
    start = now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    events = session.exec(
        select(AuditEvent.detail).join(Initiative, Initiative.id == AuditEvent.initiative_id)
        .join(Workspace, Workspace.id == Initiative.workspace_id)
        .where(Workspace.team_id == team_id, AuditEvent.kind == KIND, AuditEvent.created_at >= start)
        .order_by(AuditEvent.id.desc())
    ).all()
    rows: dict[str, OverrideRow] = defaultdict(lambda: OverrideRow(""))
    for detail in events:
        row = rows[detail["prompt_version"]]
        row.prompt_version = detail["prompt_version"]
        if detail["outcome"] == CHANGED:
            row.changed += 1
            if detail.get("reason") and len(row.reasons) < REASONS_SHOWN:
                row.reasons.append(detail["reason"])
        else:
            row.confirmed += 1
    return list(rows.values())
