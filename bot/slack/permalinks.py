"""The review threads' permalinks, asked of Slack once per thread (a permalink never changes) and remembered while
the app runs, so that updating a request's copies asks Slack nothing."""

from __future__ import annotations

import logging
import threading

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

logger = logging.getLogger(__name__)


class Permalinks:
    """One per app (in its Services)."""

    def __init__(self) -> None:
        self._known: dict[tuple[str, str], str] = {}
        self._lock = threading.Lock()

    def known(self, channel: str, ts: str | None) -> str | None:
        """The permalink Slack gave for the message, if it was asked since the app started (asks nothing)."""
        with self._lock:
            return self._known.get((channel, ts)) if ts else None

    def of(self, client: WebClient, channel: str, ts: str | None) -> str | None:
        """The message's permalink, asked of Slack unless known; None when there is no message yet or Slack would
        not say (not remembered, so asked again next time)."""
        if not ts:
            return None
        if link := self.known(channel, ts):
            return link
        try:
            link = client.chat_getPermalink(channel=channel, message_ts=ts)["permalink"]
        except SlackApiError as error:
            logger.warning("Could not get the permalink of %s in %s: %s", ts, channel, error.response.get("error"))
            return None
        with self._lock:
            self._known[(channel, ts)] = link
        return link
