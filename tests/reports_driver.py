"""Drives the portfolio and the audit report through the served bot and the CLI: scored intakes, the files the bot
sends by DM, and `readiness-bot show | export` against the bot's database."""

from __future__ import annotations

import csv
import io
import os
import subprocess

from bot.slack.ids import ScoreField
from tests.review_driver import ReviewDriver, intake_values
from tests.served import CLI


def score_values(value: int | None, feasibility: int | None, risk: int | None) -> dict:
    """The three score menus as chosen (None: left empty)."""
    return {field.value: {"type": "static_select", "selected_option": {"value": str(chosen)}}
            for field, chosen in zip(ScoreField, (value, feasibility, risk), strict=True) if chosen is not None}


def start_scored(bot, name: str, scores: tuple | None = None, *, user: str = "U100", **intake) -> dict:
    """Fill in and submit the intake form, with the scores (value, feasibility, risk) when given; what the
    submission answered ({} when the form closed)."""
    view = ReviewDriver(bot).open_intake(f"new {name}", user=user)
    values = {**intake_values(name, **intake), **(score_values(*scores) if scores else {})}
    response = bot.slack.submit_view(view, values, user=user)
    assert response.status == 200, response
    bot.idle()
    return response.json()


def uploaded(fake) -> dict[str, bytes]:
    """The files the bot uploaded, by file name (files_upload_v2 asks for an upload URL per file, then sends it);
    a name sent twice keeps the newest."""
    names = [c.params["filename"] for c in fake.calls_to("files.getUploadURLExternal")]
    return dict(zip(names, fake.uploads, strict=True))


def csv_rows(content: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(content.decode("utf-8-sig"))))


def command_reply(bot, text: str, *, user: str = "U100") -> dict:
    """What a /readiness command answered (its response: ephemeral unless news for the channel)."""
    before = len(bot.fake.responses())
    assert bot.slack.command(text, user=user).status == 200
    bot.idle()
    replies = bot.fake.responses()
    assert len(replies) == before + 1, "the command answered once"
    return replies[-1]


def cli(bot, *args: str, cwd) -> subprocess.CompletedProcess:
    """`readiness-bot ARGS` against the served bot's database (no Slack settings needed)."""
    env = {**os.environ, "DATABASE_URL": bot.database_url}
    return subprocess.run([str(CLI), *args], env=env, capture_output=True, cwd=cwd, timeout=60, check=False)
