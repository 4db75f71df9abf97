"""Posting to Slack, with Slack's failures turned into plain words (retries live on the client)."""

from __future__ import annotations

import logging

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.errors import SlackDeliveryError

logger = logging.getLogger(__name__)
NOT_THERE = {"channel_not_found", "not_in_channel", "is_archived"}
NOTHING_LOST = "Nothing you entered was lost."


def explain(error: SlackApiError, channel: str, retry_hint: str) -> str:
    code = error.response.get("error", "unknown_error")
    if code in NOT_THERE:
        where = f"<#{channel}>" if channel.startswith(("C", "G")) else "that conversation"
        if code == "is_archived":
            return f"I can't post in {where}: it is archived. {retry_hint}"
        return f"I can't post in {where}: invite me there with `/invite @Readiness Bot`. {retry_hint}"
    if code == "ratelimited":
        return f"Slack is rate-limiting me right now. Try again in a minute. {retry_hint}"
    return f"Slack refused my message ({code}). {retry_hint}"


def post(
    client: WebClient, *, channel: str, text: str, blocks: list[dict] | None = None,
    thread_ts: str | None = None, retry_hint: str = NOTHING_LOST,
) -> str:
    """Post a message and return its ts; raise SlackDeliveryError with words a person can act on."""
    try:
        response = client.chat_postMessage(
            channel=channel, text=text, blocks=blocks, thread_ts=thread_ts, unfurl_links=False, unfurl_media=False,
        )
    except SlackApiError as error:
        raise SlackDeliveryError(explain(error, channel, retry_hint)) from error
    return response["ts"]


def update(client: WebClient, *, channel: str, ts: str, text: str, blocks: list[dict]) -> None:
    """Update a message in place; a failure is logged, and the next update puts it right."""
    try:
        client.chat_update(channel=channel, ts=ts, text=text, blocks=blocks)
    except SlackApiError as error:
        logger.warning("Could not update message %s in %s: %s", ts, channel, error.response.get("error"))


def tell(client: WebClient, *, user: str, channel: str | None, text: str, thread_ts: str | None = None) -> None:
    """Tell one person something only they see: ephemeral where possible, else a DM."""
    if channel:
        try:
            client.chat_postEphemeral(channel=channel, user=user, text=text, thread_ts=thread_ts)
            return
        except SlackApiError as error:
            logger.info("Ephemeral to %s in %s failed (%s); sending a DM", user, channel, error.response.get("error"))
    try:
        client.chat_postMessage(channel=user, text=text)
    except SlackApiError:
        logger.exception("Could not tell %s: %s", user, text)
