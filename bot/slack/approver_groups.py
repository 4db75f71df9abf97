"""Who belongs to each approver group: the members the policy names, and a Slack user group's members from
usergroups.users.list, remembered for a minute, so that an answer or a click does not cost a Slack call each time."""

from __future__ import annotations

from typing import TYPE_CHECKING

from slack_sdk import WebClient

from bot.domain.approvals import Approvers
from bot.slack.channel_members import Remembered

if TYPE_CHECKING:
    from bot.services import Services


class UserGroupMembers(Remembered):
    """One per app (in its Services): each Slack user group's members, shared by every request."""

    def of(self, client: WebClient, usergroup: str, *, now) -> frozenset[str]:
        """The user group's members; none when Slack would not say (not remembered, so asked again next time)."""
        found = self._lookup(usergroup, lambda: frozenset(client.usergroups_users_list(usergroup=usergroup)["users"]),
                             now=now, what=f"user group {usergroup}")
        return found or frozenset()


def approvers(client: WebClient, services: Services) -> Approvers:
    """Every approver group's members, asked of Slack now (before a unit of work, which must not wait on Slack)."""
    now, groups = services.clock.now(), {}
    for role, group in services.policy.groups.items():
        usergroup = group.usergroup_id()
        members = services.usergroups.of(client, usergroup, now=now) if usergroup else frozenset()
        groups[role] = frozenset(group.member_ids()) | members
    return Approvers(groups)
