"""The week's nudges (check-ins, reminders, digests, what went stale), a page of initiatives at a time: at the clock's
instant, in one unit of work per page, each nudge due and not in the ledger yet is recorded there (queued) with its
messages in the outbox, which the relay delivers after commit. The ledger's unique key makes two schedulers on one
database write each nudge once. A week of any size is neither held in memory nor written in one transaction.

What must be read first is read before a page's unit, in a read-only unit of its own: whether anything is due at all
(a page with nothing to do takes no write lock), the digests' charts (rendered with no transaction open), and, by the
caller, what only Slack knows (the members of the user groups nudged, the workspaces the app is installed in)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from bot.domain import adoption, nudges
from bot.domain.chart import render
from bot.domain.nudges import Kind, Nudge
from bot.services import Services
from bot.slack.blocks import adoption as blocks
from storage import outbox
from storage.db import moment
from storage.models import Initiative, NudgeLog, NudgeStatus, Review, Waiver

DM_KINDS = {Kind.CHECKIN, Kind.REMINDER, Kind.UNMET_CONDITIONS, Kind.WAIVER_OVERDUE, Kind.PENDING_APPROVAL}


@dataclass(frozen=True)
class Due:
    """A page's nudges due now, where they go, and the digests' charts, read before the page's unit of work."""

    ids: range  # the page: the initiatives planned
    nudges: list[Nudge]
    workspace_of: dict[int, int]  # initiative id: workspace id
    charts: dict[str, bytes]  # a digest's key: its chart

    @property
    def usergroups(self) -> dict[str, int]:
        """The Slack user groups nudged (each member by DM), with the workspace of each."""
        return {n.recipient: self.workspace_of[n.initiative_id] for n in self.nudges if n.recipient.startswith("S")}


@dataclass(frozen=True)
class Group:
    """A user group's members as Slack gave them, or why Slack refused to say for good."""

    members: tuple[str, ...] = ()
    refused: str | None = None


@dataclass(frozen=True)
class Written:
    """A nudge recorded by this run, and its initiative's name."""

    nudge: Nudge
    initiative: str

    @property
    def line(self) -> str:
        return f"{self.nudge.kind} to {self.nudge.recipient} for {self.initiative}"


def due(services: Services) -> Iterator[Due]:
    """Page by page of initiatives, each read in a read-only unit of its own: the nudges due at the clock's instant and
    not in the ledger, and the charts of the digests among them (rendered once the unit is closed)."""
    after = 0
    while True:
        with services.reading() as session:
            ids = nudges.next_page(session=session, after=after, size=nudges.PAGE)
            if ids is None:
                return
            planned = _plan(session, services, ids)
            initiatives = _initiatives(session, planned)
            trends = {n.key: (initiatives[n.initiative_id].name,
                              adoption.trend(n.initiative_id, n.week_start, session=session))
                      for n in planned if n.kind is Kind.DIGEST}
        yield Due(ids, planned, {i.id: i.workspace_id for i in initiatives.values()},
                  {key: render(trend, f"{name}: last 12 weeks") for key, (name, trend) in trends.items()})
        after = ids.stop - 1


def record(services: Services, found: Due, *, installed: set[int], groups: Mapping[str, Group]) -> list[Written]:
    """In one unit of work, plan `found`'s page again and record each nudge due that `found` saw, is not in the ledger,
    goes to a workspace the app is `installed` in and, if to a user group, one in `groups`, with its messages in the
    outbox; the others wait. A nudge to a user group Slack refused is recorded as failed."""
    seen = {n.key for n in found.nudges}
    written = []
    with services.session(deliver=False) as session:
        planned = [n for n in _plan(session, services, found.ids) if n.key in seen]
        initiatives = _initiatives(session, planned)
        for nudge in planned:
            to_group = nudge.recipient.startswith("S")
            group = groups.get(nudge.recipient) if to_group else None
            if found.workspace_of[nudge.initiative_id] not in installed or (to_group and group is None):
                continue
            log = _ledger_row(session, nudge, group)
            if log is None:
                continue  # another scheduler recorded it a moment ago
            initiative = initiatives[nudge.initiative_id]
            if log.status == NudgeStatus.QUEUED:
                _write(session, services, nudge, initiative, log,
                       people=group.members if group else (nudge.recipient,), chart=found.charts.get(nudge.key))
            written.append(Written(nudge, initiative.name))
    return written


def outcomes(services: Services, written: list[Written]) -> list[str]:
    """A line per nudge written, saying if Slack refused it for good (asked once the relay has had a go; a nudge
    still on its way, e.g. another relay sending it, reads as sent)."""
    with services.reading() as session:
        failed = dict(session.exec(select(NudgeLog.key, NudgeLog.error).where(
            NudgeLog.key.in_([w.nudge.key for w in written]), NudgeLog.status == NudgeStatus.FAILED)).all())
    return [w.line + (f": failed ({failed[w.nudge.key]})" if w.nudge.key in failed else "") for w in written]


def _plan(session: Session, services: Services, ids: range) -> list[Nudge]:
    return nudges.plan(session=session, now=moment(session), framework=services.framework, policy=services.policy,
                       ids=ids)


def _initiatives(session: Session, planned: list[Nudge]) -> dict[int, Initiative]:
    """The initiatives nudged, by id, in one query."""
    ids = {n.initiative_id for n in planned}
    return {i.id: i for i in session.exec(select(Initiative).where(Initiative.id.in_(ids)))} if ids else {}


def _ledger_row(session: Session, nudge: Nudge, group: Group | None) -> NudgeLog | None:
    """The nudge's ledger row, added now; None if another run has added it."""
    failed = group is not None and group.refused is not None
    log = NudgeLog(key=nudge.key, kind=nudge.kind, initiative_id=nudge.initiative_id, week_start=nudge.week_start,
                   recipient=nudge.recipient, status=NudgeStatus.FAILED if failed else NudgeStatus.QUEUED,
                   error=group.refused if failed else None)
    try:
        with session.begin_nested():
            session.add(log)
    except IntegrityError:
        return None
    return log


def _write(session: Session, services: Services, nudge: Nudge, initiative: Initiative, log: NudgeLog, *,
           people: tuple[str, ...], chart: bytes | None) -> None:
    """The nudge's messages in the outbox: a DM to each person, or a post in the channel (a digest's chart after
    it); each marks the ledger row sent once delivered, or failed if Slack refuses it."""
    conversations = people if nudge.kind in DM_KINDS or nudge.recipient.startswith("S") else (nudge.recipient,)
    if not conversations:
        log.status = NudgeStatus.SENT  # an empty user group: nobody to tell
    kind, thread_ts, without_chart = nudge.kind, None, None
    if kind in (Kind.CHECKIN, Kind.REMINDER):
        text, message = blocks.build_checkin(initiative, nudge.week_start, reminder=kind is Kind.REMINDER)
    elif kind is Kind.DIGEST:
        trend = adoption.trend(initiative.id, nudge.week_start, session=session)
        text, message = blocks.build_digest(initiative, trend)
        without_chart = blocks.build_digest(initiative, trend, chart=False)
    else:
        text, message = blocks.build_stale_nudge(kind, initiative, _items(session, services, nudge)), None
        thread_ts = session.get(Review, nudge.detail[0]).thread_ts if kind is Kind.IDLE_REVIEW else None
    for conversation in conversations:
        post = outbox.post(session, conversation=conversation, text=text, blocks=message, thread_ts=thread_ts,
                           workspace_id=initiative.workspace_id, then={"nudge": log.id})
        if chart is not None and without_chart is not None:
            outbox.upload(session, after=post, file=chart, filename=f"adoption-{nudge.week_start.isoformat()}.png",
                          title=f"{initiative.name}: adoption, last 12 weeks", instead_text=without_chart[0],
                          instead_blocks=without_chart[1])


def _items(session: Session, services: Services, nudge: Nudge) -> list[str]:
    framework = services.framework
    if nudge.kind is Kind.UNMET_CONDITIONS:
        return [f"{framework.question(q).text} Next step: {framework.question(q).next_step}" for q in nudge.detail]
    if nudge.kind is Kind.WAIVER_OVERDUE:
        waivers = session.exec(select(Waiver).where(Waiver.id.in_(nudge.detail))).all()
        return [f"{framework.question(w.question_id).text} (due {w.due_date.isoformat()})" for w in waivers]
    return []
