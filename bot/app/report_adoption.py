"""Reporting a week's adoption numbers: the scorecard stored and, when the form was opened from a check-in, the
check-in's buttons replaced by who reported, in one unit of work (delivered once the form is acknowledged)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from bot.domain import adoption
from bot.domain.adoption import ScorecardInput
from bot.services import Services
from bot.slack.blocks import adoption as blocks
from storage import outbox
from storage.models import Initiative


@dataclass(frozen=True)
class Reported:
    """A week's report stored, with the messages it wrote for Slack."""

    initiative: str  # its name
    queued: list[int]


def report(services: Services, initiative_id: int, week_start: date, form: ScorecardInput, *, user_id: str,
           checkin: tuple[str, str] | None) -> Reported:
    """Store the week's scorecard (ScorecardErrors when the form does not do) and mark the check-in `checkin`
    (channel, ts) it was opened from as reported."""
    with services.session(deliver=False) as session:
        adoption.record(initiative_id, week_start, form, user_id=user_id, session=session)
        initiative = session.get(Initiative, initiative_id)
        if checkin:
            text, reported = blocks.build_reported_checkin(initiative, week_start, user_id)
            outbox.update(session, channel=checkin[0], ts=checkin[1], text=text, blocks=reported,
                          workspace_id=initiative.workspace_id)
        return Reported(initiative.name, outbox.queued(session))
