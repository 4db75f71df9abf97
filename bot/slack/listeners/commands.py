"""/readiness and its subcommands."""

from __future__ import annotations

import difflib
import html
from dataclasses import dataclass

from slack_bolt import App

from bot.ai.overrides import month_overrides
from bot.ai.usage import month_usage
from bot.app import continue_review
from bot.domain import go_decisions
from bot.domain.access import Attempt
from bot.domain.initiatives import (
    WEEKDAYS,
    find_initiative,
    latest_review,
    retire,
    set_ai_assist,
    set_schedule,
)
from bot.domain.nudges import reporting_week
from bot.domain.progress import ReviewState
from bot.services import Services
from bot.slack import interactions
from bot.slack.authorization import authorize
from bot.slack.blocks import messages, modals
from bot.slack.failures import reports_errors
from bot.slack.listeners.adoption import open_report_form
from bot.slack.listeners.approvals import open_request_form
from bot.slack.listeners.pilot import open_baseline_form, open_decision_form, open_edit_form
from bot.slack.listeners.reports import open_score_form, send_export, show_portfolio
from bot.slack.listeners.summary import preview as summary_preview
from bot.text import from_plain
from storage.models import Initiative

COMMAND = "/readiness"
HELP_POINTER = "`/readiness help` lists every command."


@dataclass(frozen=True)
class Reply:
    """What the command answers: only the person sees it, unless it is news for the channel."""

    text: str
    blocks: list[dict] | None = None
    in_channel: bool = False


def handle_readiness(ack, command: dict, respond, client, context) -> None:
    ack()
    services: Services = context["services"]
    sub, _, args = html.unescape(command.get("text") or "").strip().partition(" ")
    sub, args = sub.lower(), args.strip()
    interactions.described_as(context, f"{COMMAND} {sub if sub in SUBCOMMANDS else '(unknown)'}".strip())
    if sub == "portfolio":
        reply = Reply(*show_portfolio(command, client, context))
    elif sub in WORKSPACE_COMMANDS:
        reply = WORKSPACE_COMMANDS[sub](command, args, client, services)
    elif sub not in NAMED_COMMANDS:
        reply = _unknown(sub, args)
    elif not args:
        reply = Reply(f"Which initiative? Use `/readiness {sub} <name>`. {HELP_POINTER}")
    else:
        run, attempt = NAMED_COMMANDS[sub]
        state = _state(command, args, services)
        authorize(context, attempt, initiative_id=state.initiative.id)
        reply = run(command, state, client, services)
    if reply is not None:
        respond(text=reply.text, blocks=reply.blocks, response_type="in_channel" if reply.in_channel else "ephemeral")


def _unknown(sub: str, args: str) -> Reply:
    """One line: the closest known subcommand, if any, and where the full list is."""
    close = difflib.get_close_matches(sub, ["portfolio", *WORKSPACE_COMMANDS, *NAMED_COMMANDS], n=1)
    guess = f" Did you mean `{' '.join([COMMAND, close[0], from_plain(args)]).strip()}`?" if close else ""
    return Reply(f"I don't know `{from_plain(sub)}`.{guess} {HELP_POINTER}")


def _start(command, args, client, services) -> Reply:
    return Reply(*messages.build_start_prompt())


def _new(command, args, client, services) -> None:
    client.views_open(trigger_id=command["trigger_id"], view=modals.build_intake_modal(
        services.framework, name=args, channel_id=command.get("channel_id", ""), team_id=command["team_id"]))


def _help(command, args, client, services) -> Reply:
    return Reply(*messages.build_help())


def _status(command, state: ReviewState, client, services) -> Reply:
    with services.reading() as session:
        decisions = go_decisions.history(state.initiative.id, session=session)
    return Reply(*messages.build_status_message(state, decisions=decisions))


def _edit(command, state: ReviewState, client, services) -> None:
    open_edit_form(client, command["trigger_id"], state.initiative.id, command["user_id"], services)


def _decide(command, state: ReviewState, client, services) -> None:
    open_decision_form(client, command["trigger_id"], state.initiative.id, command["user_id"], services)


def _baseline(command, state: ReviewState, client, services) -> None:
    open_baseline_form(client, command["trigger_id"], state.initiative.id, services)


def _summary(command, state: ReviewState, client, services) -> Reply:
    """A preview only the person sees; its Post to channel button posts it (listeners/summary.py)."""
    return Reply(*summary_preview(services, state.review.id))


def _continue(command, state: ReviewState, client, services) -> Reply:
    return Reply(continue_review.pick_up(client, services, initiative_id=state.initiative.id))


def _release(command, state: ReviewState, client, services) -> None:
    open_request_form(client, command["trigger_id"], state.initiative.id, services)


def _report(command, state: ReviewState, client, services) -> None:
    with services.reading() as session:
        week = reporting_week(state.initiative, session=session, now=services.clock.now())
    open_report_form(client, command["trigger_id"], state.initiative.id, week, services)


def _retire(command, state: ReviewState, client, services) -> Reply:
    with services.session() as session:
        retire(session.get(Initiative, state.initiative.id), user_id=command["user_id"], session=session)
    return Reply(f"{from_plain(state.initiative.name)} is retired: no more weekly nudges.", in_channel=True)


def _schedule(command: dict, args: str, client, services: Services) -> Reply:
    weekday, _, hour = args.partition(" ")
    with services.session() as session:
        workspace = set_schedule(command["team_id"], weekday, hour.strip(), user_id=command["user_id"],
                                 session=session)
    return Reply(f"Weekly check-ins now go out on {WEEKDAYS[workspace.nudge_weekday].capitalize()}s at "
                 f"{workspace.nudge_hour}:00, in each business owner's own timezone.")


def _ai_switch(command: dict, args: str, client, services: Services) -> Reply:
    choice = args.lower()
    if choice not in ("on", "off"):
        return Reply("Say `/readiness ai on` or `/readiness ai off`.")
    with services.session() as session:
        set_ai_assist(command["team_id"], choice == "on", user_id=command["user_id"], session=session)
    if services.assistant is None:
        return Reply(f"AI assist is {choice} for this workspace, but this bot has no OpenAI key, so it stays unused.")
    return Reply(f"AI assist is {choice} for this workspace.")


def _usage(command: dict, args: str, client, services: Services) -> Reply:
    with services.reading() as session:
        rows = month_usage(command["team_id"], session=session, now=services.clock.now())
        decided = month_overrides(command["team_id"], session=session, now=services.clock.now())
    if not rows:
        return Reply("No AI calls this month." + ("" if services.assistant else " (This bot has no OpenAI key.)"))
    return Reply(messages.build_usage(rows, decided))


def _score(command, state: ReviewState, client, services) -> None:
    open_score_form(client, command["trigger_id"], state.initiative.id, services)


def _export(command, state: ReviewState, client, services) -> Reply:
    return Reply(send_export(state.initiative.id, command["user_id"], client, services))


def _state(command: dict, name: str, services: Services) -> ReviewState:
    with services.reading() as session:
        initiative = find_initiative(command["team_id"], name, session=session, channel_id=command.get("channel_id"))
        review = latest_review(initiative, session=session)
        return ReviewState.load(review.id, session=session, framework=services.framework)


WORKSPACE_COMMANDS = {"": _start, "new": _new, "start": _new, "help": _help, "schedule": _schedule,
                      "ai": _ai_switch, "usage": _usage}
NAMED_COMMANDS = {"status": (_status, Attempt.STATUS), "summary": (_summary, Attempt.SUMMARY),
                  "continue": (_continue, Attempt.CONTINUE), "release": (_release, Attempt.RELEASE),
                  "report": (_report, Attempt.REPORT), "retire": (_retire, Attempt.RETIRE),
                  "edit": (_edit, Attempt.EDIT), "decide": (_decide, Attempt.DECIDE),
                  "baseline": (_baseline, Attempt.BASELINE), "score": (_score, Attempt.SCORE),
                  "export": (_export, Attempt.EXPORT)}
SUBCOMMANDS = {"portfolio", *WORKSPACE_COMMANDS, *NAMED_COMMANDS}


def register(app: App) -> None:
    app.command(COMMAND)(reports_errors(handle_readiness))
