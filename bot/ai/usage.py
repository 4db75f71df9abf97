"""This month's model calls, tokens and estimated cost per initiative, for /readiness usage."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import cache
from importlib.resources.abc import Traversable

import yaml
from sqlalchemy import Integer, func
from sqlmodel import Session, select

from bot.ai.assist import PROMPTS
from storage.models import Initiative, ModelCall, Workspace

PRICING = PROMPTS / "pricing.yaml"


@dataclass(frozen=True)
class UsageRow:
    initiative: str
    calls: int
    failed: int
    tokens_in: int
    tokens_out: int
    cost: float | None  # None when a model's price is not known


@cache
def prices(path: Traversable = PRICING) -> dict[str, dict[str, float]]:
    return (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("models", {})


def month_usage(team_id: str, *, session: Session, now: datetime) -> list[UsageRow]:
    start = now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    rows = session.exec(
        select(Initiative.name, ModelCall.model, func.count(), func.sum(ModelCall.tokens_in),
               func.sum(ModelCall.tokens_out), func.sum(func.cast(ModelCall.outcome != "ok", Integer())))
        .join(Initiative, Initiative.id == ModelCall.initiative_id)
        .join(Workspace, Workspace.id == Initiative.workspace_id)
        .where(Workspace.team_id == team_id, ModelCall.created_at >= start)
        .group_by(Initiative.name, ModelCall.model).order_by(Initiative.name)
    ).all()
    merged: dict[str, UsageRow] = {}
    for name, model, calls, tokens_in, tokens_out, failed in rows:
        price = prices().get(model)
        cost = (tokens_in * price["input"] + tokens_out * price["output"]) / 1_000_000 if price else None
        before = merged.get(name)
        if before:
            cost = None if cost is None or before.cost is None else cost + before.cost
            calls, failed = calls + before.calls, failed + before.failed
            tokens_in, tokens_out = tokens_in + before.tokens_in, tokens_out + before.tokens_out
        merged[name] = UsageRow(name, calls, failed or 0, tokens_in or 0, tokens_out or 0, cost)
    return list(merged.values())
