"""Files for one person: uploaded to their DM with the bot (the portfolio's CSV, the audit report)."""

from __future__ import annotations

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError

from bot.domain.export import ReportFile
from bot.errors import SlackDeliveryError


def send_to(client: WebClient, user_id: str, files: list[ReportFile], *, comment: str) -> None:
    """Upload the files to the person's DM with the bot, with a comment; SlackDeliveryError says what went wrong."""
    try:
        channel = client.conversations_open(users=user_id)["channel"]["id"]
        client.files_upload_v2(channel=channel, initial_comment=comment, file_uploads=[
            {"file": f.content, "filename": f.filename, "title": f.title} for f in files])
    except SlackClientError as error:
        why = f"Slack said {error.response.get('error')}" if isinstance(error, SlackApiError) else "the upload failed"
        raise SlackDeliveryError(f"I could not send you the file by DM ({why}). Try again in a minute; "
                                 "if it keeps failing, ask an admin to check that I may write to DMs and upload "
                                 "files (the im:write and files:write scopes).") from error
