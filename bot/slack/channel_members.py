"""Who is in a channel, from Slack's conversations.members (every page), remembered per channel for a minute."""

from __future__ import annotations

import logging
import threading
from datetime import datetime, timedelta

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

logger = logging.getLogger(__name__)
REMEMBERED_FOR = timedelta(seconds=60)
PAGE_SIZE = 200  # Slack recommends no more than 200 members a page


class ChannelMembers:
    """One per app: membership lists shared by every request; a failed lookup is never remembered."""

    def __init__(self, remembered_for: timedelta = REMEMBERED_FOR) -> None:
        self.remembered_for = remembered_for
        self._known: dict[str, tuple[datetime, frozenset[str]]] = {}
        self._lock = threading.Lock()

    def includes(self, client: WebClient, channel: str, user_id: str, *, now: datetime) -> bool | None:
        """Whether the user is in the channel; None when Slack would not say (e.g. the bot was removed from it)."""
        members = self._members(client, channel, now=now)
        return None if members is None else user_id in members

    def _members(self, client: WebClient, channel: str, *, now: datetime) -> frozenset[str] | None:
        with self._lock:
            known = self._known.get(channel)
        if known and known[0] <= now < known[0] + self.remembered_for:
            return known[1]
        try:  # iterating a response follows response_metadata.next_cursor to the last page
            members = frozenset(m for page in client.conversations_members(channel=channel, limit=PAGE_SIZE)
                                for m in page["members"])
        except SlackApiError as error:
            logger.warning("Could not list the members of %s: %s", channel, error.response.get("error"))
            return None
        with self._lock:
            self._known[channel] = (now, members)
        return members
