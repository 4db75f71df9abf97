"""Who is in a channel, from Slack's conversations.members, and which channels a person is in, from
users.conversations (every page of each), remembered for a minute."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Hashable
from datetime import datetime, timedelta

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

logger = logging.getLogger(__name__)
REMEMBERED_FOR = timedelta(seconds=60)
PAGE_SIZE = 200  # Slack recommends no more than 200 members (or channels) a page


class Remembered:
    """Sets Slack gave, each remembered for a while; a failed lookup is never remembered."""

    def __init__(self, remembered_for: timedelta = REMEMBERED_FOR) -> None:
        self.remembered_for = remembered_for
        self._known: dict[Hashable, tuple[datetime, frozenset[str]]] = {}
        self._lock = threading.Lock()

    def _lookup(self, key: Hashable, ask: Callable[[], frozenset[str]], *, now: datetime,
                what: str) -> frozenset[str] | None:
        with self._lock:
            known = self._known.get(key)
        if known and known[0] <= now < known[0] + self.remembered_for:
            return known[1]
        try:
            found = ask()
        except SlackApiError as error:
            logger.warning("Could not list %s: %s", what, error.response.get("error"))
            return None
        with self._lock:
            self._known[key] = (now, found)
        return found


class ChannelMembers(Remembered):
    """One per app: membership lists shared by every request."""

    def includes(self, client: WebClient, channel: str, user_id: str, *, now: datetime) -> bool | None:
        """Whether the user is in the channel; None when Slack would not say (e.g. the bot was removed from it)."""
        members = self._members(client, channel, now=now)
        return None if members is None else user_id in members

    def _members(self, client: WebClient, channel: str, *, now: datetime) -> frozenset[str] | None:
        # iterating a response follows response_metadata.next_cursor to the last page
        return self._lookup(channel, lambda: frozenset(
            m for page in client.conversations_members(channel=channel, limit=PAGE_SIZE) for m in page["members"]),
            now=now, what=f"the members of {channel}")


class UserChannels(Remembered):
    """The public and private channels each person is in (of those the bot can see), per workspace."""

    def of(self, client: WebClient, user_id: str, *, team_id: str | None, now: datetime) -> frozenset[str] | None:
        """The ids of the channels the person is in; None when Slack would not say."""
        return self._lookup((team_id, user_id), lambda: frozenset(
            c["id"] for page in client.users_conversations(
                user=user_id, types="public_channel,private_channel", exclude_archived=True, limit=PAGE_SIZE)
            for c in page["channels"]), now=now, what=f"the channels of {user_id}")
