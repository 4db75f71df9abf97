"""Time the planning of one weekly run, its peak memory and its SQL statements, at each number of initiatives given.

Planning goes a page of initiatives at a time (bot.domain.nudges.PAGE): a fixed number of queries per page, and a
peak memory that depends on the page's size, not on the number of initiatives. Each page's nudges are counted, then
dropped, as the weekly run records each page and moves on. Uses a fresh SQLite file, or the PostgreSQL database given
as BENCH_DATABASE_URL (a scratch database: its tables are emptied). Peak memory is what Python allocated during one
planning (tracemalloc), measured apart from the timings.

    .venv/bin/python bench/plan_week.py                      # 10,000 initiatives
    .venv/bin/python bench/plan_week.py 1000 10000 50000
    BENCH_DATABASE_URL=postgresql+psycopg://root@127.0.0.1/bench_scratch .venv/bin/python bench/plan_week.py 1000 10000
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
import tracemalloc
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import event, insert  # noqa: E402
from sqlmodel import Session, SQLModel  # noqa: E402

from bot.approval_policy import load_policy  # noqa: E402
from bot.domain.nudges import PAGE, plan_pages  # noqa: E402
from bot.framework import load_framework  # noqa: E402
from storage.db import make_engine, migrate  # noqa: E402
from storage.models import (  # noqa: E402
    Answer,
    Initiative,
    ReleaseRequest,
    Review,
    Scorecard,
    UserProfile,
    Waiver,
    Workspace,
)

DEFAULT_SIZES = (10_000,)


def populate(engine, framework, initiatives: int) -> None:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    low = [q.id for q in framework.questions_for("low")]
    with engine.begin() as db:
        for table in reversed(SQLModel.metadata.sorted_tables):
            db.execute(table.delete())
        db.execute(insert(Workspace), [{"id": w, "team_id": f"T{w}", "created_at": now, "nudge_weekday": 0,
                                        "nudge_hour": 10} for w in range(1, 11)])
        db.execute(insert(UserProfile), [{"user_id": f"U{n:05d}", "tz": ["UTC", "America/New_York", "Asia/Tokyo",
                                                                          "Europe/Berlin"][n % 4], "refreshed_at": now}
                                         for n in range(initiatives)])
        db.execute(insert(Initiative), [{
            "id": n + 1, "workspace_id": n % 10 + 1, "name": f"Pilot {n}", "name_key": f"pilot {n}",
            "purpose": "Helps", "data_sources": "", "integrations": "", "business_owner_id": f"U{n:05d}",
            "technical_owner_id": f"U{(n + 1) % initiatives:05d}", "risk_tier": "low", "channel_id": f"C{n % 50}",
            "go_live_date": date(2025, 12, 1) if n % 5 == 0 else None, "created_by": "U1", "created_at": now,
        } for n in range(initiatives)])
        db.execute(insert(Review), [{
            "id": n + 1, "initiative_id": n + 1, "framework_version": "x", "channel_id": f"C{n % 50}",
            "thread_ts": f"1.{n}", "status": "complete" if n % 2 else "in_progress", "created_at": now,
            "updated_at": now,
        } for n in range(initiatives)])
        db.execute(insert(Answer), [{
            "review_id": n + 1, "question_id": qid, "status": "met" if (n + i) % 3 else "not_yet",
            "answered_by": "U1", "source": "button", "answered_at": now,
        } for n in range(1, initiatives, 2) for i, qid in enumerate(low)])
        db.execute(insert(Scorecard), [{
            "initiative_id": n + 1, "week_start": date(2025, 12, 22) - timedelta(weeks=w), "active_users": 10,
            "repeat_users": 5, "hours_saved": 3.0, "feedback_count": 1, "top_themes": "", "escalations": 0,
            "incidents": 0, "note": "", "reported_by": "U1", "reported_at": now,
        } for n in range(0, initiatives, 3) for w in range(3)])
        db.execute(insert(ReleaseRequest), [{
            "id": n + 1, "initiative_id": n + 1, "review_id": n + 1, "requested_by": "U1", "tier": "low",
            "verdict": "Ready", "status": "pending", "approvals_channel": "C1", "pinned": {}, "created_at": now,
            "expires_at": now + timedelta(days=30),
        } for n in range(0, initiatives, 7)])
        db.execute(insert(Waiver), [{
            "request_id": n + 1, "question_id": low[0], "number": 1, "reason": "later", "owner_id": "U1",
            "due_date": date(2025, 12, 1), "created_by": "U1", "created_at": now,
        } for n in range(0, initiatives, 7)])


NOW = datetime(2026, 1, 5, 16, 0, tzinfo=UTC)  # a Monday: every timezone's week has turned


def planning(engine, framework, policy) -> tuple[int, Counter]:
    """Plan the week page by page, keeping only how many nudges of each kind: (pages, nudges by kind)."""
    pages, kinds = 0, Counter()
    with Session(engine) as session:
        for page in plan_pages(session=session, now=NOW, framework=framework, policy=policy):
            pages += 1
            kinds.update(nudge.kind.value for nudge in page)
    return pages, kinds


def measure(engine, framework, policy, initiatives: int) -> None:
    populate(engine, framework, initiatives)
    statements = []
    count = lambda *args: statements.append(args[2])  # noqa: E731
    event.listen(engine, "before_cursor_execute", count)
    timings = []
    for _ in range(3):
        statements.clear()
        started = time.perf_counter()
        pages, kinds = planning(engine, framework, policy)
        timings.append(time.perf_counter() - started)
    event.remove(engine, "before_cursor_execute", count)
    tracemalloc.start()
    planning(engine, framework, policy)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    print(f"database: {engine.dialect.name}; initiatives: {initiatives:,}; pages of {PAGE:,}: {pages}")
    print(f"planning one weekly run: best {min(timings):.2f} s of 3 (each: "
          + ", ".join(f"{t:.2f} s" for t in timings) + ")")
    print(f"peak memory of one planning: {peak / 2**20:.1f} MiB")
    print(f"SQL statements per planning: {len(statements)} ({len(statements) / pages:.1f} a page)")
    print(f"nudges planned: {sum(kinds.values()):,} " + str(dict(sorted(kinds.items()))), flush=True)


def main(sizes: list[int]) -> None:
    framework, policy = load_framework(), load_policy()
    with tempfile.TemporaryDirectory() as tmp:
        engine = make_engine(os.environ.get("BENCH_DATABASE_URL") or f"sqlite:///{tmp}/bench.db")
        migrate(engine)
        for initiatives in sizes:
            measure(engine, framework, policy, initiatives)


if __name__ == "__main__":
    main([int(arg) for arg in sys.argv[1:]] or list(DEFAULT_SIZES))
