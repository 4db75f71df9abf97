"""SQLModel tables: workspaces, initiatives, reviews, the append-only answer history, evidence, audit."""

from __future__ import annotations

from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Column, DateTime, Index, LargeBinary, String, Text, UniqueConstraint, text
from sqlmodel import Field, SQLModel


def as_utc(moment: datetime) -> datetime:
    """A stored time, timezone-aware: SQLite hands back naive datetimes, and every stored time is UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


STAMPED = "stamped"  # a column the unit of work fills with its instant (storage.db), never the wall clock


def _ts_column() -> Any:
    return Field(default=None, sa_column_kwargs={"nullable": False, "info": {STAMPED: True}},
                 sa_type=DateTime(timezone=True))


class AnswerStatus(StrEnum):
    MET = "met"
    PARTLY = "partly"
    NOT_YET = "not_yet"
    NA = "na"
    SKIPPED = "skipped"


class ReviewStatus(StrEnum):
    IN_PROGRESS = "in_progress"
    COMPLETE = "complete"


class Workspace(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(unique=True, max_length=32)
    created_at: datetime = _ts_column()
    nudge_weekday: int = 0  # Monday; the weekly check-in day, in each business owner's own timezone
    nudge_hour: int = 10
    ai_assist_enabled: bool = True  # only matters when the bot has an OpenAI key


class InitiativeBase(SQLModel):
    name: str = Field(max_length=80)
    purpose: str = Field(sa_type=Text)
    data_sources: str = Field(default="", sa_type=Text)
    integrations: str = Field(default="", sa_type=Text)
    business_owner_id: str = Field(max_length=32)
    technical_owner_id: str = Field(max_length=32)
    risk_tier: str = Field(max_length=10)
    channel_id: str = Field(max_length=32)
    go_live_date: date | None = None
    # the portfolio's scoring matrix, 1 to 5 each (all three or none); asked at intake or with /readiness score
    value_score: int | None = None
    feasibility_score: int | None = None
    risk_score: int | None = None


class Initiative(InitiativeBase, table=True):
    __table_args__ = (UniqueConstraint("workspace_id", "name_key", name="uq_initiative_name"),)

    id: int | None = Field(default=None, primary_key=True)
    workspace_id: int = Field(foreign_key="workspace.id", index=True)
    name_key: str = Field(max_length=80)
    created_by: str = Field(max_length=32)
    created_at: datetime = _ts_column()
    retired_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    snoozed_until: date | None = None
    scored_by: str | None = Field(default=None, max_length=32)  # who gave the current scores, and when
    scored_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))


class InitiativeCreate(InitiativeBase):
    team_id: str
    created_by: str
    asks_in: str = "thread"  # where the review asks each owner: "thread" or "dm" (kept on the review)


class Review(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    initiative_id: int = Field(foreign_key="initiative.id", index=True)
    framework_version: str = Field(max_length=40)
    status: ReviewStatus = Field(default=ReviewStatus.IN_PROGRESS, sa_type=String(20))
    channel_id: str = Field(max_length=32)
    thread_ts: str | None = Field(default=None, max_length=32, index=True)
    created_at: datetime = _ts_column()
    updated_at: datetime = _ts_column()
    summary_posted_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    asks_in: str = Field(default="thread", max_length=10, sa_column_kwargs={"server_default": "thread"})  # or "dm"
    routed: dict | None = Field(default=None, sa_column=Column(JSON, nullable=True))  # group -> its people, at start


class ReviewPost(SQLModel, table=True):
    """A message of a review the bot keeps up to date in place: a person's checklist of questions (`kind`
    checklist, `person_id` the one it asks, `part` when their questions take several messages) or the posted
    summary (`kind` summary). `outbox_id` is its post; where it went and its ts are recorded there once delivered."""

    __tablename__ = "review_post"

    id: int | None = Field(default=None, primary_key=True)
    review_id: int = Field(foreign_key="review.id", index=True)
    kind: str = Field(max_length=20)
    person_id: str | None = Field(default=None, max_length=32)
    part: int = Field(default=0)
    outbox_id: int = Field(foreign_key="outbox.id")


class Answer(SQLModel, table=True):
    """One answer given to one question; never updated: the newest row is the current answer."""

    id: int | None = Field(default=None, primary_key=True)
    review_id: int = Field(foreign_key="review.id", index=True)
    question_id: str = Field(max_length=60)
    status: AnswerStatus = Field(sa_type=String(20))
    answered_by: str = Field(max_length=32)
    source: str = Field(max_length=20)
    answered_at: datetime = _ts_column()
    message_ts: str | None = Field(default=None, max_length=32)  # the thread reply that gave it, if one did


class Evidence(SQLModel, table=True):
    """Evidence (or a note) for one question; an edited or deleted reply withdraws it, and the row stays (history)."""

    id: int | None = Field(default=None, primary_key=True)
    review_id: int = Field(foreign_key="review.id", index=True)
    question_id: str = Field(max_length=60)
    text: str = Field(sa_type=Text)
    provided_by: str = Field(max_length=32)
    provided_at: datetime = _ts_column()
    message_ts: str | None = Field(default=None, max_length=32)  # the thread reply it came from
    withdrawn_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))


class AuditEvent(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    workspace_id: int | None = Field(default=None, foreign_key="workspace.id", index=True)
    initiative_id: int | None = Field(default=None, foreign_key="initiative.id", index=True)
    actor: str = Field(max_length=32)
    kind: str = Field(max_length=40)
    detail: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    created_at: datetime = _ts_column()


class InboxEntry(SQLModel, table=True):
    """A request from Slack, stored before it is acknowledged: a replay or a retry is acted on once, and what was
    acknowledged but not yet acted on (a restart, a crash) is acted on when the app next sweeps the inbox.

    The key is the event_id for events (Slack's retries come with new headers), else the request's signature (in
    Socket Mode, the interaction's trigger_id). `body` is the request's payload as JSON; None when there is nothing
    to act on later (the request was answered in its acknowledgement). `processed_at` is set in the same
    transaction as the first change the request made, so it is acted on exactly once.
    """

    __tablename__ = "inbox"
    __table_args__ = (Index("ix_inbox_received_at", "received_at"),
                      Index("ix_inbox_pending", "processed_at", "claimed_at"))

    key: str = Field(primary_key=True, max_length=100)
    kind: str = Field(max_length=40)
    received_at: datetime = _ts_column()
    body: str | None = Field(default=None, sa_type=Text)
    claimed_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    processed_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    attempts: int = Field(default=0, sa_column_kwargs={"server_default": text("0")})


class RequestStatus(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"
    EXPIRED = "expired"
    STALE = "stale"  # made before the risk tier or the go/no-go date changed: ask again


class Outcome(StrEnum):
    APPROVED = "approved"
    REJECTED = "rejected"


class ReleaseRequest(SQLModel, table=True):
    """A request to release an initiative, pinned to the answers as they were when it was made."""

    id: int | None = Field(default=None, primary_key=True)
    initiative_id: int = Field(foreign_key="initiative.id", index=True)
    review_id: int = Field(foreign_key="review.id")
    requested_by: str = Field(max_length=32)
    tier: str = Field(max_length=10)
    verdict: str = Field(max_length=40)
    status: RequestStatus = Field(default=RequestStatus.PENDING, sa_type=String(20))
    approvals_channel: str = Field(max_length=32)
    pinned: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    reject_reason: str | None = Field(default=None, sa_type=Text)
    created_at: datetime = _ts_column()
    expires_at: datetime = Field(sa_type=DateTime(timezone=True))
    reminded_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    decided_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    stale_since: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    preread: list | None = Field(default=None, sa_column=Column(JSON, nullable=True))  # AI-written questions
    # the policy role whose second person must accept the waivers, when the requester is the only approver
    waivers_by: str | None = Field(default=None, max_length=60)


class Waiver(SQLModel, table=True):
    """Permission to release with one blocking condition unmet: why, who fixes it, by when."""

    id: int | None = Field(default=None, primary_key=True)
    request_id: int = Field(foreign_key="releaserequest.id", index=True)
    question_id: str = Field(max_length=60)
    number: int  # the request's waiver this row is part of (1, 2, …): one waiver covers several blockers
    reason: str = Field(sa_type=Text)
    owner_id: str = Field(max_length=32)
    due_date: date
    created_by: str = Field(max_length=32)
    created_at: datetime = _ts_column()


class Decision(SQLModel, table=True):
    """One approver role's decision; superseded (not deleted) when a changed answer asks the role again."""

    __table_args__ = (
        Index(
            "uq_decision_active_role", "request_id", "role", unique=True,
            sqlite_where=text("superseded_at IS NULL"), postgresql_where=text("superseded_at IS NULL"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    request_id: int = Field(foreign_key="releaserequest.id", index=True)
    role: str = Field(max_length=60)
    approver_id: str = Field(max_length=32)
    outcome: Outcome = Field(sa_type=String(20))
    reason: str | None = Field(default=None, sa_type=Text)
    rationale: str | None = Field(default=None, sa_type=Text)  # why an approver accepts waivers or "Not ready"
    decided_at: datetime = _ts_column()
    superseded_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))


class WaiverDecision(SQLModel, table=True):
    """One role's acceptance or decline of one waiver of a request; superseded when the role decides again."""

    __table_args__ = (
        Index(
            "uq_waiverdecision_active", "request_id", "role", "number", unique=True,
            sqlite_where=text("superseded_at IS NULL"), postgresql_where=text("superseded_at IS NULL"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    request_id: int = Field(foreign_key="releaserequest.id", index=True)
    number: int  # Waiver.number
    role: str = Field(max_length=60)
    decided_by: str = Field(max_length=32)
    accepted: bool
    reason: str | None = Field(default=None, sa_type=Text)  # why it was declined
    decided_at: datetime = _ts_column()
    superseded_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))


class ChangeRequest(SQLModel, table=True):
    """What an approver says must change before they decide; the release request stays open."""

    id: int | None = Field(default=None, primary_key=True)
    request_id: int = Field(foreign_key="releaserequest.id", index=True)
    approver_id: str = Field(max_length=32)
    what: str = Field(sa_type=Text)
    requested_at: datetime = _ts_column()


class RequestMessage(SQLModel, table=True):
    """A copy of a release request posted in Slack (approvals channel or a DM), updated in place."""

    id: int | None = Field(default=None, primary_key=True)
    request_id: int = Field(foreign_key="releaserequest.id", index=True)
    channel_id: str = Field(max_length=32)
    ts: str = Field(max_length=32)


class UserProfile(SQLModel, table=True):
    """What the bot knows of a Slack user: their timezone, for nudges at their own local time."""

    user_id: str = Field(primary_key=True, max_length=32)
    tz: str = Field(default="UTC", max_length=64)
    refreshed_at: datetime = _ts_column()


class Scorecard(SQLModel, table=True):
    """One week's adoption numbers; a report sent again for the same week is a newer row (history kept)."""

    id: int | None = Field(default=None, primary_key=True)
    initiative_id: int = Field(foreign_key="initiative.id", index=True)
    week_start: date = Field(index=True)
    active_users: int
    repeat_users: int
    hours_saved: float | None = None
    cycle_time_minutes: float | None = None
    feedback_count: int
    top_themes: str = Field(default="", sa_type=Text)
    escalations: int
    incidents: int
    tasks_handled: int | None = None  # the week's volume, against the baseline's tasks per week
    error_rate: float | None = None  # percent of tasks
    cost_per_task: float | None = None
    north_star: float | None = None  # the week's value of the baseline's north-star metric
    guardrail_1: float | None = None
    guardrail_2: float | None = None
    note: str = Field(default="", sa_type=Text)
    reported_by: str = Field(max_length=32)
    reported_at: datetime = _ts_column()


class Direction(StrEnum):
    """Which way a metric should move."""

    HIGHER = "higher"
    LOWER = "lower"


class Baseline(SQLModel, table=True):
    """The process before the AI and the metrics its adoption is judged by; a newer row replaces it (history kept).

    A guardrail slips when a week's value passes its threshold the wrong way (over it when lower is better).
    """

    id: int | None = Field(default=None, primary_key=True)
    initiative_id: int = Field(foreign_key="initiative.id", index=True)
    time_per_task_minutes: float | None = None
    volume_per_week: float | None = None  # tasks
    error_rate: float | None = None  # percent of tasks
    cost_per_task: float | None = None
    north_star_name: str = Field(default="", max_length=80)
    north_star_unit: str = Field(default="", max_length=30)
    north_star_direction: str | None = Field(default=None, max_length=10)
    north_star_baseline: float | None = None
    guardrail_1_name: str = Field(default="", max_length=80)
    guardrail_1_unit: str = Field(default="", max_length=30)
    guardrail_1_direction: str | None = Field(default=None, max_length=10)
    guardrail_1_threshold: float | None = None
    guardrail_2_name: str = Field(default="", max_length=80)
    guardrail_2_unit: str = Field(default="", max_length=30)
    guardrail_2_direction: str | None = Field(default=None, max_length=10)
    guardrail_2_threshold: float | None = None
    recorded_by: str = Field(max_length=32)
    recorded_at: datetime = _ts_column()


class GoOutcome(StrEnum):
    GO = "go"
    NO_GO = "no_go"
    EXTEND = "extend"  # extend the pilot to a new go/no-go date


class GoDecision(SQLModel, table=True):
    """A go / no-go decision on a pilot: what, who decided, on which day and why; never updated (history)."""

    id: int | None = Field(default=None, primary_key=True)
    initiative_id: int = Field(foreign_key="initiative.id", index=True)
    outcome: GoOutcome = Field(sa_type=String(20))
    decided_by: str = Field(max_length=32)
    decided_on: date
    reason: str = Field(sa_type=Text)
    for_date: date | None = None  # the go/no-go date in force when it was decided
    new_date: date | None = None  # extend: the pilot's new go/no-go date
    recorded_by: str = Field(max_length=32)
    recorded_at: datetime = _ts_column()


class NudgeStatus(StrEnum):
    QUEUED = "queued"  # its messages wait in the outbox
    SENT = "sent"
    FAILED = "failed"


class NudgeLog(SQLModel, table=True):
    """Each nudge planned, once per key (kind, initiative, week and recipient), recorded with its messages in the
    outbox: queued, then sent once Slack took them, or failed (`error`) if Slack refused one for good."""

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(unique=True, max_length=200)
    kind: str = Field(max_length=40)
    initiative_id: int = Field(foreign_key="initiative.id", index=True)
    week_start: date
    recipient: str = Field(max_length=32)
    status: NudgeStatus = Field(sa_type=String(20))
    error: str | None = Field(default=None, max_length=100)
    sent_at: datetime = _ts_column()


class ModelCall(SQLModel, table=True):
    """One call to the model: which prompt (by a hash of its text), tokens, latency and how it ended."""

    id: int | None = Field(default=None, primary_key=True)
    workspace_id: int | None = Field(default=None, foreign_key="workspace.id", index=True)
    initiative_id: int | None = Field(default=None, foreign_key="initiative.id", index=True)
    purpose: str = Field(max_length=40)
    prompt_version: str = Field(max_length=20)
    model: str = Field(max_length=80)
    tokens_in: int = 0
    tokens_out: int = 0
    latency_ms: int = 0
    outcome: str = Field(max_length=20)
    created_at: datetime = _ts_column()


class Installation(SQLModel, table=True):
    """The app installed in a workspace through the OAuth flow (only when SLACK_CLIENT_ID is set): the newest
    install replaces the last. The bot token is a secret: it is in no repr and no log."""

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(unique=True, max_length=32)
    enterprise_id: str | None = Field(default=None, max_length=32)  # the Enterprise Grid org the workspace is in
    team_name: str = Field(default="", max_length=200)
    app_id: str = Field(max_length=32)
    bot_id: str = Field(max_length=32)
    bot_user_id: str = Field(max_length=32)
    bot_token: str = Field(max_length=200, repr=False)
    bot_scopes: str = Field(default="", sa_type=Text)  # comma-separated, as Slack gives them
    installed_by: str = Field(max_length=32)
    installed_at: datetime = _ts_column()


class OAuthState(SQLModel, table=True):
    """A state handed out with the link to Slack's install page: the redirect back is taken once, before expiry."""

    __tablename__ = "oauth_state"

    state: str = Field(primary_key=True, max_length=64)
    expires_at: datetime = Field(sa_type=DateTime(timezone=True), index=True)


class OutboxMessage(SQLModel, table=True):
    """A message for Slack, written in the transaction of the change that caused it and delivered after commit
    (bot/slack/relay.py), in order per conversation, at least once and shown once.

    `kind` is post, update, ephemeral or upload. A post goes to `conversation` (a channel, or a person's id for a DM),
    in the thread `thread_ts`, or in the thread of the earlier outbox post `thread_of`; an update replaces the message
    `target_ts`. An upload shares `file` (named `filename`, titled `title`) in the channel after the post `thread_of`
    (not in its thread); if Slack refuses the file, that post is updated to `text` and `blocks` instead. Once
    delivered it holds the `channel` and `ts` Slack gave, and `then` (what to record with the ts, e.g. a review's
    thread) has been applied in the same transaction; `then` also says what to record if it is given up on (a
    nudge's failure). A post carries its id in the message's metadata, so a delivery cut short after Slack took it is
    found instead of posted again. `tell` names the person told (with `hint`) if it cannot be delivered.
    """

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_pending", "delivered_at", "conversation"),)

    id: int | None = Field(default=None, primary_key=True)
    workspace_id: int | None = Field(default=None, foreign_key="workspace.id")
    kind: str = Field(max_length=20)
    conversation: str = Field(max_length=32)
    thread_ts: str | None = Field(default=None, max_length=32)
    thread_of: int | None = Field(default=None)
    target_ts: str | None = Field(default=None, max_length=32)
    user_id: str | None = Field(default=None, max_length=32)  # an ephemeral's reader
    text: str = Field(sa_type=Text)
    blocks: list | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    then: dict | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    tell: str | None = Field(default=None, max_length=32)
    hint: str | None = Field(default=None, sa_type=Text)  # what `tell` can do once it is fixed
    created_at: datetime = _ts_column()
    claimed_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    attempts: int = Field(default=0, sa_column_kwargs={"server_default": "0"})  # (`text` is a column here)
    delivered_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    channel: str | None = Field(default=None, max_length=32)
    ts: str | None = Field(default=None, max_length=32)
    error: str | None = Field(default=None, max_length=100)  # why it was given up on
    file: bytes | None = Field(default=None, sa_type=LargeBinary)  # an upload's
    filename: str | None = Field(default=None, max_length=200)
    title: str | None = Field(default=None, max_length=200)
