"""App Home in Slack: each person's Home published with views.publish when they open it or turn its page, and again
for the people concerned when something they see changes (an answer, a request, a decision, a report)."""

from __future__ import annotations

import logging

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlmodel import select

from bot.domain import access, home
from bot.domain.approvals import Approvers
from bot.services import Services
from bot.slack.approver_groups import approvers
from bot.slack.blocks.home import build_home
from storage.models import Initiative, Workspace

logger = logging.getLogger(__name__)


def show(client: WebClient, services: Services, *, user_id: str, team_id: str | None, page: int | None = None,
         groups: Approvers | None = None) -> None:
    """Publish the person's Home at `page` (from 0; the page they last saw when None); Slack refusing it is logged."""
    memory, now = services.home, services.clock.now()
    channels = memory.channels.of(client, user_id, team_id=team_id, now=now)
    in_group = (groups or approvers(client, services)).is_member
    with services.reading() as session:
        found = home.page(user_id, team_id=team_id, channels=channels, session=session,
                          number=memory.page(team_id, user_id) if page is None else page,
                          framework=services.framework, policy=services.policy, in_group=in_group, now=now)
    try:
        client.views_publish(user_id=user_id, view=build_home(found, services.framework))
    except SlackApiError as error:
        logger.warning("Could not publish App Home for %s: %s", user_id, error.response.get("error"))
        return
    memory.saw(team_id, user_id, found.page)


def refresh(client: WebClient, services: Services, initiative_id: int, *also: str) -> None:
    """Republish Home for the initiative's owners, its approver groups' members and `also` (the person acting),
    each on the page they last saw, where they have a Home open (anyone else gets fresh data when they open it).
    Nothing that fails here reaches the person who acted: it is logged."""
    try:
        with services.reading() as session:
            initiative, team_id = session.exec(select(Initiative, Workspace.team_id).join(Workspace)
                                               .where(Initiative.id == initiative_id)).one()
        groups = approvers(client, services)
        people = [initiative.business_owner_id, initiative.technical_owner_id, *also]
        for role in access.approver_groups(services.policy, initiative.risk_tier):
            people += sorted(groups.members(role))
        for person in dict.fromkeys(people):
            if services.home.has_home(team_id, person):
                show(client, services, user_id=person, team_id=team_id, groups=groups)
    except Exception:
        logger.exception("Failed to refresh App Home after a change to initiative %s", initiative_id)
