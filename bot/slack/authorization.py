"""The guard every listener calls before it shows or changes an initiative: the access rule, fed from Slack."""

from __future__ import annotations

from functools import partial

from slack_bolt import BoltContext
from sqlmodel import select

from bot.domain import access
from bot.domain.access import Actor, Attempt, InChannel
from bot.errors import AccessRefused, InitiativeGone
from bot.services import Services
from bot.slack.approver_groups import approvers
from bot.slack.channel_members import ChannelMembers
from storage.models import Initiative, Review, Workspace

CHANNEL_MEMBERS = "channel_members"  # the app's ChannelMembers, in every request's context


def authorize(context: BoltContext, attempt: Attempt, *, initiative_id: int | None = None,
              review_id: int | None = None, in_channel: InChannel | None = None) -> None:
    """Return if the person may act on the initiative (named by its id or a review's); else audit and refuse.

    The workspace is the request's (the actor's, in a shared channel); channel membership comes from Slack
    unless the caller knows it (`in_channel`). AccessRefused is told to the person by failures.reports_errors.
    """
    services: Services = context["services"]
    query = select(Initiative, Workspace.team_id).join(Workspace)
    if review_id is None:
        query = query.where(Initiative.id == initiative_id)
    else:
        query = query.join(Review, Review.initiative_id == Initiative.id).where(Review.id == review_id)
    with services.reading() as session:
        found = session.exec(query).first()
    if found is None:
        raise InitiativeGone()
    initiative, workspace_team = found
    actor = Actor(context.user_id, context.actor_team_id or context.team_id)
    if in_channel is None:
        members: ChannelMembers = context[CHANNEL_MEMBERS]
        in_channel = partial(members.includes, context.client, now=services.clock.now())
    refused = access.refusal(initiative, workspace_team=workspace_team, actor=actor, attempt=attempt,
                             policy=services.policy, in_channel=in_channel,
                             in_group=approvers(context.client, services).is_member)
    if refused is None:
        return
    with services.session() as session:
        access.record_refusal(refused, initiative, actor=actor, attempt=attempt, session=session)
    raise AccessRefused(refused.text)


def authorize_thread_reply(context: BoltContext, event: dict, *, review_id: int) -> None:
    """A reply in a review thread: posting in the channel proves membership, so Slack need not be asked."""
    authorize(context, Attempt.REPLY, review_id=review_id,
              in_channel=lambda channel, user: channel == event["channel"] and user == event["user"])
