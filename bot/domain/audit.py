"""The audit log: every event with who and when."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from storage.models import AuditEvent


def record(
    *, session: Session, kind: str, actor: str, workspace_id: int | None = None,
    initiative_id: int | None = None, **detail: Any,
) -> None:
    session.add(AuditEvent(
        workspace_id=workspace_id, initiative_id=initiative_id, actor=actor, kind=kind, detail=detail,
    ))
