"""Sending the weekly plan: each nudge once (one run at a time sends, and records each nudge in the ledger once Slack
took it), about one message a second per channel, and one channel's failure recorded without stopping the run."""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from bot.domain import adoption, nudges
from bot.domain.chart import render
from bot.domain.nudges import Kind, Nudge
from bot.services import Services
from bot.slack.blocks import adoption as blocks
from bot.slack.installations import Workspaces
from storage import locks
from storage.db import moment
from storage.models import (
    Initiative,
    NudgeLog,
    NudgeStatus,
    Review,
    UserProfile,
    Waiver,
)

logger = logging.getLogger(__name__)
GONE = {"channel_not_found", "not_in_channel", "is_archived", "account_inactive", "user_not_found",
        "user_disabled", "cannot_dm_bot", "user_not_visible", "no_such_subteam"}
LOCK = "nudges"  # the lock a run holds while it sends
DM_KINDS = {Kind.CHECKIN, Kind.REMINDER, Kind.UNMET_CONDITIONS, Kind.WAIVER_OVERDUE, Kind.PENDING_APPROVAL}


class Throttle:
    """At most one message per `interval` seconds to any one channel."""

    def __init__(self, interval: float) -> None:
        self.interval = interval
        self._last: dict[str, float] = {}
        self._lock = threading.Lock()

    def wait(self, channel: str) -> None:
        with self._lock:
            last = self._last.get(channel)
            pause = 0.0 if last is None else self.interval - (time.monotonic() - last)
            if pause > 0:
                time.sleep(pause)
            self._last[channel] = time.monotonic()


def refresh_timezones(workspaces: Workspaces, services: Services) -> None:
    """Learn the timezone of business owners the bot has not met yet (one users.info each, asked in the workspace of
    their initiative, then stored)."""
    with services.reading() as session:
        known = select(UserProfile.user_id)
        missing = session.exec(
            select(Initiative.workspace_id, Initiative.business_owner_id)
            .where(Initiative.retired_at.is_(None), Initiative.business_owner_id.not_in(known)).distinct()
        ).all()
    for workspace_id, user_id in missing:
        client = workspaces.client(workspace_id)
        if client is None:
            continue
        try:
            tz = client.users_info(user=user_id)["user"].get("tz") or "UTC"
        except SlackApiError as error:
            logger.warning("No timezone for %s (%s); using UTC", user_id, error.response.get("error"))
            tz = "UTC"
        with services.session() as session:
            try:
                with session.begin_nested():
                    session.merge(UserProfile(user_id=user_id, tz=tz, refreshed_at=moment(session)))
            except IntegrityError:
                pass  # another scheduler stored it a moment ago


def run(client: WebClient, services: Services, *, interval: float = 1.0) -> list[str]:
    """Plan the nudges due at the clock's instant and send each one not sent yet, with the token of its initiative's
    workspace (where the app is not installed, they wait); a line per nudge handled. One run at a time sends: while
    another holds the lock, this one leaves the nudges to it."""
    workspaces = Workspaces(client, services)
    refresh_timezones(workspaces, services)
    with locks.held(services.engine, LOCK) as mine:
        if not mine:
            logger.info("Another run is sending the nudges")
            return []
        with services.reading() as session:
            planned = nudges.plan(session=session, now=moment(session), framework=services.framework,
                                  policy=services.policy)
            workspace_of = dict(session.exec(select(Initiative.id, Initiative.workspace_id)
                                             .where(Initiative.id.in_({n.initiative_id for n in planned}))).all())
        throttle, lines = Throttle(interval), []
        for nudge in planned:
            workspace_client = workspaces.client(workspace_of[nudge.initiative_id])
            if workspace_client is None:
                continue  # the app is not installed there (any more): the nudge waits, unrecorded
            lines.append(send(workspace_client, services, nudge, throttle))
        return lines


def send(client: WebClient, services: Services, nudge: Nudge, throttle: Throttle) -> str:
    """Send a planned nudge, then record it in the ledger (the caller holds the lock); what became of it.

    It is composed in a read-only unit and recorded in a write one after Slack answered: no transaction is open
    while Slack is called. A passing failure records nothing, so the next run tries again."""
    with services.reading() as session:
        initiative = session.get(Initiative, nudge.initiative_id)
        message = _compose(session, services, nudge, initiative)
    line = f"{nudge.kind} to {nudge.recipient} for {initiative.name}"
    try:
        channels = _channels(client, nudge)
        for channel in channels:
            throttle.wait(channel)
        for channel in channels:
            _deliver(client, channel, message, initiative, nudge)
    except SlackApiError as error:
        code = error.response.get("error", "")
        if code not in GONE:
            raise
        _record(services, nudge, NudgeStatus.FAILED, code)
        return f"{line}: failed ({code})"
    _record(services, nudge, NudgeStatus.SENT)
    return line


def _record(services: Services, nudge: Nudge, status: NudgeStatus, error: str | None = None) -> None:
    with services.session() as session:
        session.add(NudgeLog(key=nudge.key, kind=nudge.kind, initiative_id=nudge.initiative_id,
                             week_start=nudge.week_start, recipient=nudge.recipient, status=status, error=error))


def _channels(client: WebClient, nudge: Nudge) -> list[str]:
    """Where the nudge goes: a DM per person (each member of a user group), or the channel itself."""
    if nudge.recipient.startswith("S"):
        people = client.usergroups_users_list(usergroup=nudge.recipient)["users"]
    elif nudge.kind in DM_KINDS:
        people = [nudge.recipient]
    else:
        return [nudge.recipient]
    return [client.conversations_open(users=person)["channel"]["id"] for person in people]


@dataclass(frozen=True)
class _Message:
    text: str
    blocks: list[dict] | None = None
    thread_ts: str | None = None
    trend: adoption.Trend | None = None  # a digest's, whose chart follows it


def _compose(session: Session, services: Services, nudge: Nudge, initiative: Initiative) -> _Message:
    kind = nudge.kind
    if kind in (Kind.CHECKIN, Kind.REMINDER):
        return _Message(*blocks.build_checkin(initiative, nudge.week_start, reminder=kind is Kind.REMINDER))
    if kind is Kind.DIGEST:
        trend = adoption.trend(initiative.id, nudge.week_start, session=session)
        return _Message(*blocks.build_digest(initiative, trend), trend=trend)
    if kind is Kind.IDLE_REVIEW:
        review = session.get(Review, nudge.detail[0])
        return _Message(blocks.build_stale_nudge(kind, initiative, []), thread_ts=review.thread_ts)
    return _Message(blocks.build_stale_nudge(kind, initiative, _items(session, services, nudge)))


def _deliver(client: WebClient, channel: str, message: _Message, initiative: Initiative, nudge: Nudge) -> None:
    posted = client.chat_postMessage(channel=channel, text=message.text, blocks=message.blocks,
                                     thread_ts=message.thread_ts)
    if message.trend is not None:
        _attach_chart(client, channel, posted["ts"], initiative, message.trend, nudge)


def _attach_chart(client: WebClient, channel: str, ts: str, initiative: Initiative, trend: adoption.Trend,
                  nudge: Nudge) -> None:
    """Upload the digest's chart; if Slack refuses, the digest (already posted, once) says so instead."""
    try:
        client.files_upload_v2(channel=channel, file=render(trend, f"{initiative.name}: last 12 weeks"),
                               filename=f"adoption-{nudge.week_start.isoformat()}.png",
                               title=f"{initiative.name}: adoption, last 12 weeks")
    except (SlackApiError, OSError) as error:
        reason = error.response.get("error") if isinstance(error, SlackApiError) else type(error).__name__
        logger.warning("Chart for %s not uploaded to %s (%s); the digest went out without it",
                       initiative.name, channel, reason)
        text, message = blocks.build_digest(initiative, trend, chart=False)
        try:
            client.chat_update(channel=channel, ts=ts, text=text, blocks=message)
        except SlackApiError as again:
            logger.warning("Digest for %s not updated (%s)", initiative.name, again.response.get("error"))


def _items(session: Session, services: Services, nudge: Nudge) -> list[str]:
    framework = services.framework
    if nudge.kind is Kind.UNMET_CONDITIONS:
        return [f"{framework.question(q).text} Next step: {framework.question(q).next_step}" for q in nudge.detail]
    if nudge.kind is Kind.WAIVER_OVERDUE:
        waivers = session.exec(select(Waiver).where(Waiver.id.in_(nudge.detail))).all()
        return [f"{framework.question(w.question_id).text} (due {w.due_date.isoformat()})" for w in waivers]
    return []
