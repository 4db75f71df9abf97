"""The weekly run, Slack's side: what only Slack knows is asked first (owners' timezones, then for each page of
initiatives the members of the user groups nudged and the workspaces the app is installed in), then the page's nudges
due are recorded with their messages in one unit of work (bot/app/plan_nudges.py), and the relay delivers them; a line
per nudge recorded."""

from __future__ import annotations

import logging
from collections.abc import Iterator

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy.exc import IntegrityError
from sqlmodel import select

from bot.app import plan_nudges
from bot.services import Services
from bot.slack.installations import Workspaces
from storage.db import moment
from storage.models import Initiative, UserProfile

logger = logging.getLogger(__name__)
NO_GROUP = {"no_such_subteam"}  # Slack refuses for good to say who is in a user group


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


def run(client: WebClient, services: Services) -> list[str]:
    """Record the nudges due at the clock's instant and not recorded yet, with the token of its initiative's workspace
    (where the app is not installed, they wait), then deliver the outbox; a line per nudge recorded, with what
    became of it."""
    return [line for lines in run_pages(client, services) for line in lines]


def run_pages(client: WebClient, services: Services) -> Iterator[list[str]]:
    """The weekly run a page of initiatives at a time: each page's nudges recorded in a unit of work of its own, then
    delivered; a page's lines (one per nudge recorded, with what became of it) once the relay has had a go at them."""
    workspaces = Workspaces(client, services)
    refresh_timezones(workspaces, services)
    for found in plan_nudges.due(services):
        if not found.nudges:
            continue
        installed = {w for w in set(found.workspace_of.values()) if workspaces.client(w) is not None}
        groups = {group: _group(workspaces.client(w), group) for group, w in found.usergroups.items() if w in installed}
        written = plan_nudges.record(services, found, installed=installed,
                                     groups={group: known for group, known in groups.items() if known is not None})
        if written:
            services.outbox.deliver()
            yield plan_nudges.outcomes(services, written)
    services.outbox.deliver()  # what is left, e.g. of an earlier run


def _group(client: WebClient, usergroup: str) -> plan_nudges.Group | None:
    """Who is in the user group, or why Slack will never say; None if it cannot say now (asked again next run)."""
    try:
        return plan_nudges.Group(members=tuple(client.usergroups_users_list(usergroup=usergroup)["users"]))
    except SlackApiError as error:
        code = error.response.get("error", "")
        if code in NO_GROUP:
            return plan_nudges.Group(refused=code)
        logger.warning("Could not list user group %s (%s); its nudges wait for the next run", usergroup, code)
        return None
